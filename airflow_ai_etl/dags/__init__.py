"""DAG files shipped with the package: `ai_etl_generate.py`, the system DAG (`ai-etl install-system-dag`)."""
