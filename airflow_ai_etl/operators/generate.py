"""GeneratePipelineOperator: the agents as an Airflow task (request -> spec, report, DAG source).

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse, and
the agents pull in pydantic-ai and the database hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_ai_etl.agents.events import Event
    from airflow_ai_etl.catalog.models import SchemaCatalog


class GeneratePipelineOperator(BaseOperator):
    """Turn a plain-language request over the named connections into a validated pipeline.

    The return value (the task's XCom) is the GenerationResult as JSON: `ok`, the spec, the
    validation report, the rendered DAG source, every agent's events and the usage. A generation
    that ends without a valid pipeline is a normal outcome (`ok` false, with the reason), not a
    task failure; a connection that does not exist or cannot be read is, and is not retried.

    :param request: What the pipeline should do, in plain language.
    :param conn_ids: The connections whose schemas the pipeline may use.
    :param pipeline_dag_id: dag_id of the generated pipeline (default: the planner chooses).
    :param llm_conn_id: A `pydanticai` connection for every agent (default: `[ai_etl] llm_conn_id`).
    :param model: A model id such as 'openai:gpt-5' (default: `[ai_etl] model`, else the connection's).
    :param max_rounds: Bound on validation-repair rounds (default: the reflector's).
    :param dry_run_sql: Try every read query on its database (read-only, rolled back) during QA.
    """

    template_fields: Sequence[str] = ("request", "conn_ids", "pipeline_dag_id")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        request: str,
        conn_ids: Sequence[str],
        pipeline_dag_id: str | None = None,
        llm_conn_id: str | None = None,
        model: str | None = None,
        max_rounds: int | None = None,
        dry_run_sql: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.conn_ids = list(conn_ids)
        self.pipeline_dag_id = pipeline_dag_id
        self.llm_conn_id = llm_conn_id
        self.model = model
        self.max_rounds = max_rounds
        self.dry_run_sql = dry_run_sql  # not `dry_run`: BaseOperator has a method of that name

    def _catalogs(self) -> list[SchemaCatalog]:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_ai_etl.catalog.connections import UnknownConnectionError
        from airflow_ai_etl.catalog.errors import CatalogError
        from airflow_ai_etl.catalog.introspect import introspect

        catalogs = []
        for conn_id in self.conn_ids:
            try:
                catalogs.append(introspect(conn_id))
            except (UnknownConnectionError, CatalogError) as exc:
                raise AirflowFailException(
                    f"conn_ids: cannot read the schema of '{conn_id}': {exc}"
                ) from None
        return catalogs

    def _log_event(self, event: Event) -> None:
        tokens = f" [{event.input_tokens}+{event.output_tokens} tokens]" if event.input_tokens else ""
        line = f"{event.agent}: {event.message} ({event.duration_ms:.0f} ms){tokens}"
        {"info": self.log.info, "warning": self.log.warning, "error": self.log.error}[event.level](line)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_ai_etl.agents.llm import LLMChoice
        from airflow_ai_etl.agents.orchestrator import generate
        from airflow_ai_etl.agents.reflector import DEFAULT_MAX_ROUNDS

        result = generate(
            self.request,
            self._catalogs(),
            dag_id=self.pipeline_dag_id,
            llm=LLMChoice(conn_id=self.llm_conn_id, model=self.model),
            max_rounds=DEFAULT_MAX_ROUNDS if self.max_rounds is None else self.max_rounds,
            dry_run=self.dry_run_sql,
            on_event=self._log_event,
        )
        if result.ok and result.spec is not None:
            self.log.info("generated a valid pipeline '%s'", result.spec.dag_id)
        else:
            self.log.warning("no valid pipeline: %s", result.reason)
        data: dict[str, Any] = result.model_dump(mode="json")
        return data
