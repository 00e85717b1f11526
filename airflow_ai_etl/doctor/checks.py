"""The checks `ai-etl doctor` runs; each says what it found and, for a problem, the fix.

They look at the installation the way Airflow's components see it: the same configuration, the
same connections (metadata database, environment, secrets backends), the same dags folder or git
remote. A check changes nothing of Airflow's (the store's tables are inspected, not created); the
git target's check brings its own clone up to date, as its next deploy would.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from airflow_ai_etl.deploy.system_dag import SYSTEM_DAG_ID

_PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str
    fix: str = ""


def run_checks() -> list[Finding]:
    """Every check, in the order an installation is set up; a check that crashes is a finding too."""
    from airflow_ai_etl.doctor.agent_models import check_critics, check_model_chain
    from airflow_ai_etl.doctor.latency import check_execution_api, check_scheduler_idle_sleep

    metadata = check_metadata_db()
    # Without a metadata database Airflow lists no connections and knows no parsed DAG.
    needs_db = [check_providers, check_system_dag] if metadata[0].ok else []
    checks: list[Callable[[], list[Finding]]] = [
        *needs_db,
        check_deploy_target,
        check_store,
        check_model,
        check_model_chain,
        check_critics,
        check_redis,
        check_plugin,
        check_execution_api,
        check_scheduler_idle_sleep,
    ]
    findings: list[Finding] = list(metadata)
    for check in checks:
        try:
            findings += check()
        except Exception as exc:
            name = check.__name__.removeprefix("check_").replace("_", " ")
            findings.append(Finding(name, False, f"the check itself failed: {exc}", "see the message"))
    return findings


def check_metadata_db() -> list[Finding]:
    """Airflow's metadata database answers and is migrated."""
    from airflow import settings
    from sqlalchemy import inspect

    try:
        migrated = inspect(settings.get_engine()).has_table("dag")  # type: ignore[no-untyped-call]
    except Exception as exc:
        fix = "check [database] sql_alchemy_conn and that the database is up"
        return [Finding("metadata database", False, f"cannot be reached: {_first_line(exc)}", fix)]
    if not migrated:
        fix = "run `airflow db migrate`"
        return [Finding("metadata database", False, "it is not initialised (no Airflow tables)", fix)]
    return [Finding("metadata database", True, "reachable and migrated")]


def check_providers() -> list[Finding]:
    """Each connection's type has its provider (and drivers) installed."""
    from airflow_ai_etl.doctor.providers import missing_provider
    from airflow_ai_etl.plugins.airflow_side import list_connections

    findings = []
    connections = list_connections()
    for conn_id, conn_type in connections:
        missing = missing_provider(conn_type)
        if missing is not None:
            findings.append(
                Finding("providers", False, f"connection {conn_id!r}: {missing.message}", missing.fix)
            )
    if not findings:
        findings.append(
            Finding("providers", True, f"all {len(connections)} connection(s) have their provider")
        )
    return findings


def check_deploy_target() -> list[Finding]:
    from airflow_ai_etl.deploy import DeployError, choose_target

    try:
        target = choose_target()
    except DeployError as exc:
        return [Finding("deploy target", False, exc.message, "fix the [ai_etl] deploy_* settings")]
    problem = target.problem()
    if problem is not None:
        return [Finding("deploy target", False, problem, "see the message")]
    return [Finding("deploy target", True, f"{target.description} is usable")]


def check_system_dag() -> list[Finding]:
    """The system DAG is parsed by the dag-processor, and a copy in the dags folder is current.

    It may also come from a bundle on the package's own `dags/` folder (the helm values do that),
    so a missing file is only a problem when Airflow does not know the DAG either.
    """
    from airflow.models import DagModel
    from airflow.utils.session import create_session

    from airflow_ai_etl.deploy import choose_target
    from airflow_ai_etl.deploy.local import AI_ETL_SUBDIR
    from airflow_ai_etl.deploy.system_dag import system_dag_source
    from airflow_ai_etl.deploy.targets import LocalTarget

    install = "run `ai-etl install-system-dag` (after every upgrade of airflow-ai-etl)"
    target = choose_target()
    path = (
        target.dags_folder / AI_ETL_SUBDIR / f"{SYSTEM_DAG_ID}.py"
        if isinstance(target, LocalTarget)
        else None
    )
    current = system_dag_source()
    if path is not None and path.exists() and path.read_text(encoding="utf-8", errors="replace") != current:
        return [Finding("system DAG", False, f"{path} is from another version of airflow-ai-etl", install)]
    with create_session() as session:
        model = session.get(DagModel, SYSTEM_DAG_ID)
        parsed = model is not None and not model.is_stale
    if parsed:
        return [Finding("system DAG", True, f"{SYSTEM_DAG_ID} is installed and parsed")]
    if path is not None and not path.exists():
        return [
            Finding("system DAG", False, f"{SYSTEM_DAG_ID} is not installed ({path} is missing)", install)
        ]
    return [
        Finding(
            "system DAG",
            False,
            f"Airflow has not parsed {SYSTEM_DAG_ID} (it is not in the metadata database)",
            "start the dag-processor and wait for its next scan ([dag_processor] refresh_interval); "
            "`airflow dags list-import-errors` shows why a file does not parse",
        )
    ]


def check_store() -> list[Finding]:
    from sqlalchemy import inspect

    from airflow_ai_etl.store.engine import configured_url, make_engine
    from airflow_ai_etl.store.models import StoreBase

    engine = make_engine(configured_url())
    try:
        present = set(inspect(engine).get_table_names())
    except Exception as exc:
        return [
            Finding(
                "store", False, f"the store's database cannot be read: {_first_line(exc)}",
                "check [ai_etl] store_url (empty: the metadata database) and that it is reachable",
            )
        ]  # fmt: skip
    finally:
        engine.dispose()
    missing = sorted(set(StoreBase.metadata.tables) - present)
    if missing:
        return [
            Finding(
                "store", False, f"store tables missing: {', '.join(missing)}",
                "they are created by the api-server on its first AI ETL request: open the AI ETL page "
                "once; if they stay missing, grant the database user CREATE on the store's database",
            )
        ]  # fmt: skip
    return [Finding("store", True, f"all {len(StoreBase.metadata.tables)} store tables exist")]


def check_model() -> list[Finding]:
    """The `[ai_etl] llm_conn_id` connection exists and its endpoint answers."""
    from airflow.configuration import conf

    from airflow_ai_etl.catalog.connections import UnknownConnectionError, airflow_connection

    conn_id = (conf.get("ai_etl", "llm_conn_id", fallback="") or "").strip()
    if not conn_id:
        return [Finding("model", True, "no [ai_etl] llm_conn_id: generation uses the offline planner")]
    try:
        connection = airflow_connection(conn_id)
    except UnknownConnectionError as exc:
        return [
            Finding(
                "model", False, f"[ai_etl] llm_conn_id: {exc}", f"add a `pydanticai` connection {conn_id!r}"
            )
        ]
    if not connection.host:
        return [Finding("model", True, f"{conn_id!r} uses its provider's default endpoint (not probed)")]
    problem = _http_problem(connection.host)
    if problem is not None:
        return [
            Finding(
                "model", False, f"{conn_id!r}'s model endpoint {connection.host} is unreachable: {problem}",
                "start the model server, or fix the connection's host",
            )
        ]  # fmt: skip
    return [Finding("model", True, f"model endpoint of {conn_id!r} ({connection.host}) answers")]


def check_redis() -> list[Finding]:
    """The Redis of `[ai_etl] cache_conn_id` (the LLM cache and the budgets) answers PING."""
    from airflow.configuration import conf

    conn_id = (conf.get("ai_etl", "cache_conn_id", fallback="") or "").strip()
    if not conn_id:
        return [
            Finding("redis", True, "no [ai_etl] cache_conn_id: the cache is in-process, nothing to check")
        ]
    fix = f"start Redis, or fix the connection '{conn_id}' ([ai_etl] cache_conn_id)"
    try:
        from airflow_ai_etl.hooks.redis import redis_client

        client = redis_client(conn_id)
        client.ping()
    except ImportError:
        return [
            Finding("redis", False, "the redis package is missing", "pip install 'airflow-ai-etl[memory]'")
        ]
    except Exception as exc:
        return [
            Finding(
                "redis", False, f"Redis of connection '{conn_id}' does not answer: {_first_line(exc)}", fix
            )
        ]
    return [Finding("redis", True, f"Redis of connection '{conn_id}' answers")]


def check_plugin() -> list[Finding]:
    """The plugin is discovered, and the running api-server serves its app at /ai-etl."""
    from airflow import plugins_manager
    from airflow.configuration import conf

    from airflow_ai_etl.plugins.plugin import URL_PREFIX

    restart = "restart the api-server after installing or upgrading airflow-ai-etl"
    names = {str(info.get("name")) for info in plugins_manager.get_plugin_info(attrs_to_dump=["name"])}
    if "ai_etl" not in names:
        errors = "; ".join(f"{k}: {v}" for k, v in plugins_manager.get_import_errors().items())
        return [
            Finding("plugin", False, f"Airflow does not load the ai_etl plugin {errors}".rstrip(), restart)
        ]
    base = (conf.get("api", "base_url", fallback="") or "").rstrip("/")
    if not base:
        host = conf.get("api", "host", fallback="") or "localhost"
        host = "localhost" if host in ("0.0.0.0", "::") else host  # listening everywhere
        base = f"http://{host}:{conf.get('api', 'port', fallback='8080')}"
    url = f"{base}{URL_PREFIX}/api/connections"
    try:
        with urllib.request.urlopen(url, timeout=_PROBE_TIMEOUT) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        fix = "start the api-server, or set [api] base_url to where it listens"
        return [Finding("plugin", False, f"no api-server answers at {base}: {_first_line(exc)}", fix)]
    if status == 404:
        return [Finding("plugin", False, f"the api-server at {base} does not serve {URL_PREFIX}", restart)]
    return [Finding("plugin", True, f"the api-server at {base} serves {URL_PREFIX}")]


def _http_problem(url: str) -> str | None:
    """None when something answers HTTP at `url` (any status), else why not."""
    if "://" not in url:
        url = f"http://{url}"
    try:
        urllib.request.urlopen(url, timeout=_PROBE_TIMEOUT).close()
    except urllib.error.HTTPError:
        return None  # it answered
    except (OSError, ValueError) as exc:
        return _first_line(exc)
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
