"""Provider metadata read by Airflow's ProvidersManager (entry point `apache_airflow_provider`)."""

from __future__ import annotations

from typing import Any

from airflow_ai_etl import __version__


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-ai-etl",
        "name": "AI ETL",
        "description": (
            "Plain-language requests to validated, reviewable DAGs, and the operators that run them."
        ),
        "versions": [__version__],
        "plugins": [
            {"name": "ai_etl", "plugin-class": "airflow_ai_etl.plugins.plugin.AiEtlPlugin"},
        ],
        "operators": [
            {
                "integration-name": "AI ETL",
                "python-modules": [
                    "airflow_ai_etl.operators.transfer",
                    "airflow_ai_etl.operators.quality",
                ],
            }
        ],
    }
