"""Doctor checks of the agents' model settings that a generation would otherwise trip over late:
`[ai_etl] model_chain` (each connection defined, and of a kind the agents can call) and the
critics (`critic_count`, `critic_agreement`, `critic_timeout_seconds`, and a model for them).

Connections are looked up as Airflow's components look them up; no model is asked.
"""

from __future__ import annotations

from airflow_ai_etl.doctor.checks import Finding

#: Connection types the agents call models through: common-ai's PydanticAIHook and its variants.
MODEL_CONN_TYPES = ("pydanticai", "pydanticai_azure", "pydanticai_bedrock", "pydanticai_vertex")


def _connection_problem(conn_id: str, check: str, where: str) -> Finding | None:
    """A finding of `check` when `conn_id` (named by the setting `where`) is undefined or not a
    model connection, else None."""
    from airflow_ai_etl.catalog.connections import UnknownConnectionError, airflow_connection

    try:
        connection = airflow_connection(conn_id)
    except UnknownConnectionError:
        return Finding(
            check,
            False,
            f"{where}: connection {conn_id!r} is not defined in Airflow",
            f"add a `pydanticai` connection {conn_id!r}, or remove it from {where}",
        )
    conn_type = (connection.conn_type or "").strip().lower()
    if conn_type not in MODEL_CONN_TYPES:
        return Finding(
            check,
            False,
            f"{where}: connection {conn_id!r} is of type {conn_type or 'none'!r}, not a model connection",
            f"make {conn_id!r} a connection of type {' / '.join(MODEL_CONN_TYPES)} "
            f"(common-ai's PydanticAIHook), or name another one in {where}",
        )
    return None


def check_model_chain() -> list[Finding]:
    """Each connection of `[ai_etl] model_chain` is defined and is a model connection."""
    from airflow_ai_etl.agents.llm_config import chain_from_config

    chain = chain_from_config()
    if not chain:
        return [Finding("model_chain", True, "no [ai_etl] model_chain: no fail-over between providers")]
    problems = [p for c in chain if (p := _connection_problem(c, "model_chain", "[ai_etl] model_chain"))]
    if problems:
        return problems
    listed = ", ".join(chain)
    return [Finding("model_chain", True, f"all {len(chain)} connection(s) are model connections: {listed}")]


def check_critics() -> list[Finding]:
    """The critics' settings are usable, and each critic has a model connection when any agent has."""
    from airflow_ai_etl.agents.critics import CriticConfigError, critic_settings
    from airflow_ai_etl.agents.llm_config import choice_from_config
    from airflow_ai_etl.agents.verdicts import CRITIC

    try:
        settings = critic_settings()
    except CriticConfigError as exc:
        return [Finding("critics", False, str(exc), "fix the setting named in [ai_etl] (see the message)")]
    if settings.count == 0:
        return [Finding("critics", True, "[ai_etl] critic_count = 0: no critics vote")]
    if settings.conn_ids:
        conn_ids, where = list(settings.conn_ids), "[ai_etl] critic_conn_ids"
    else:
        own = choice_from_config(CRITIC).conn_id
        conn_ids, where = ([own] if own else []), "[ai_etl] critic_llm_conn_id / llm_conn_id"
    if not conn_ids:
        return [Finding("critics", True, "no model connection for the critics: none vote (offline planner)")]
    problems = [p for c in conn_ids if (p := _connection_problem(c, "critics", where))]
    if problems:
        return problems
    return [
        Finding(
            "critics",
            True,
            f"{settings.count} critic(s) on {', '.join(conn_ids)}, each within {settings.timeout_s:g} s; "
            f"a draft below {settings.agreement:.0%} agreement is flagged",
        )
    ]
