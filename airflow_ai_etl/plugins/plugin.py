"""The Airflow plugin. Every Airflow process imports this module: keep its top level cheap."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class AiEtlPlugin(AirflowPlugin):
    """Registers airflow-ai-etl with Airflow; the UI page and REST API mount here (UI issue)."""

    name = "ai_etl"
