"""airflow-ai-etl: plain-language requests to validated, reviewable Airflow DAGs."""

__version__ = "0.1.0"
