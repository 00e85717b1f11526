"""Alembic migrations of the store's `ai_etl_` tables (run by `airflow_ai_etl.store.migrate`)."""
