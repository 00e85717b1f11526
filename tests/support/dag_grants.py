"""A SimpleAuthManager with per-DAG read grants, like FAB's or Keycloak's per-DAG rights.

`AI_ETL_TEST_DAG_GRANTS='{"scoped1": ["dag_a"]}'`: scoped1 may read dag_a only (and, like FAB,
passes the "any DAG" check that list routes make without a DAG id); every other user keeps
their SimpleAuthManager role's rights.
"""

from __future__ import annotations

import json
import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

GRANTS_ENV = "AI_ETL_TEST_DAG_GRANTS"


class DagGrantsAuthManager(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        grants: dict[str, list[str]] = json.loads(os.environ.get(GRANTS_ENV) or "{}")
        if user.get_name() not in grants:
            return super().is_authorized_dag(
                method=method, user=user, access_entity=access_entity, details=details
            )
        allowed = grants[user.get_name()]
        if details is None or details.id is None:
            return method == "GET" and bool(allowed)
        return method == "GET" and details.id in allowed
