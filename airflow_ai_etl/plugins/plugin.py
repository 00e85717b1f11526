"""The Airflow plugin. Every Airflow process imports this module: keep its top level cheap.

The scheduler, the dag-processor and every worker load plugins too; only the api-server reads
`fastapi_apps`. So the FastAPI app (FastAPI, Airflow's security module, the store, the agents'
models) is built on first access of that attribute, not at import.
"""

from __future__ import annotations

import functools
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from airflow_ai_etl.lifecycle import listener as lifecycle_listener

URL_PREFIX = "/ai-etl"
#: The page's address inside Airflow's UI: /plugin/ai-etl.
NAV_ROUTE = "ai-etl"


@functools.cache
def _app() -> Any:
    from airflow_ai_etl.plugins.app import create_app

    return create_app()


class AiEtlPlugin(AirflowPlugin):
    """Mounts the review page and REST API at /ai-etl and puts "AI ETL" into the Airflow navigation.

    A top-level nav entry with its own icon (light and dark), like Airflow's own Dags and Assets.
    """

    name = "ai_etl"
    #: Lifecycle events for runs of generated DAGs (lifecycle/listener.py; off without events_conn_id).
    listeners = [lifecycle_listener]
    external_views = [
        {
            "name": "AI ETL",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": NAV_ROUTE,
            "nav_top_level": True,
            "icon": f"{URL_PREFIX}/static/icon.svg",
            "icon_dark_mode": f"{URL_PREFIX}/static/icon-dark.svg",
        }
    ]

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]  # a list on the base

        return [{"app": _app(), "url_prefix": URL_PREFIX, "name": "ai_etl"}]
