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

    With `request_id` instead of `request`/`conn_ids` it generates a request stored by the UI or
    REST API (the system DAG `ai_etl_generate` does this): the events go into the store as they
    happen, and the draft is stored for review.

    :param request: What the pipeline should do, in plain language.
    :param conn_ids: The connections whose schemas the pipeline may use.
    :param request_id: Id of a request in the ai_etl store (instead of `request` and `conn_ids`).
    :param pipeline_dag_id: dag_id of the generated pipeline (default: the planner chooses).
    :param llm_conn_id: A `pydanticai` connection for every agent (default: `[ai_etl] llm_conn_id`).
    :param model: A model id such as 'openai:gpt-5' (default: `[ai_etl] model`, else the connection's).
    :param max_rounds: Bound on validation-repair rounds (default: the reflector's).
    :param dry_run_sql: Try every read query on its database (read-only, rolled back) during QA.
    """

    template_fields: Sequence[str] = ("request", "conn_ids", "pipeline_dag_id", "request_id")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        request: str | None = None,
        conn_ids: Sequence[str] = (),
        request_id: int | str | None = None,
        pipeline_dag_id: str | None = None,
        llm_conn_id: str | None = None,
        model: str | None = None,
        max_rounds: int | None = None,
        dry_run_sql: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (request is None) == (request_id is None):
            raise ValueError(
                "request, request_id: give exactly one (a request text, or a stored request's id)"
            )
        if request is not None and not conn_ids:
            raise ValueError("conn_ids: name at least one connection the pipeline may use")
        self.request = request
        self.conn_ids = list(conn_ids)
        self.request_id = request_id
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

        if self.request_id is not None:
            return self._execute_stored(context)
        assert self.request is not None
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

    def _execute_stored(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_ai_etl.agents.llm import LLMChoice
        from airflow_ai_etl.store import default_store
        from airflow_ai_etl.store.generation import GenerationSettings, StoredRequestError, run_stored_request

        try:
            request_id = int(str(self.request_id).strip())
        except ValueError:
            raise AirflowFailException(f"request_id: {self.request_id!r} is not a request id") from None
        dag_run = context.get("dag_run")
        settings = GenerationSettings(
            llm=LLMChoice(conn_id=self.llm_conn_id, model=self.model),
            max_rounds=self.max_rounds,
            dry_run=self.dry_run_sql,
        )
        from airflow_ai_etl.store.engine import StoreNotConfigured

        try:
            store = default_store()
        except StoreNotConfigured as exc:
            raise AirflowFailException(str(exc)) from None
        try:
            result = run_stored_request(
                store,
                request_id,
                dag_run_id=dag_run.run_id if dag_run is not None else None,
                settings=settings,
                on_event=self._log_event,
            )
        except StoredRequestError as exc:
            raise AirflowFailException(str(exc)) from None
        self.log.info("request %s: %s", request_id, "ready" if result.ok else f"failed: {result.reason}")
        data: dict[str, Any] = result.model_dump(mode="json", exclude={"source", "events"})
        return data
