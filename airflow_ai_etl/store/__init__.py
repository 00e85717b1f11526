"""The store: requests, events, drafts, deployments, LLM usage and the audit log (SQLAlchemy 2).

Default location: the Airflow metadata database (`ai_etl_` tables); `[ai_etl] store_url` moves it.
"""

from airflow_ai_etl.store.repository import Store, default_store

__all__ = ["Store", "default_store"]
