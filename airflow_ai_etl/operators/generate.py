"""GeneratePipelineOperator: the agents as an Airflow task (request -> spec, report, DAG source).

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse, and
the agents pull in pydantic-ai and the database hooks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_ai_etl.agents.events import Event
    from airflow_ai_etl.agents.images import Image
    from airflow_ai_etl.catalog.models import SchemaCatalog

#: XCom key under which the task publishes its events while it runs (the whole list so far).
EVENTS_XCOM_KEY = "events"
#: Airflow's key of a task's return value (BaseXCom.XCOM_RETURN_KEY), pushed by hand when the task fails.
RETURN_VALUE_XCOM_KEY = "return_value"
#: The events of reading the connections' schemas, before any agent runs (it can take a while).
CATALOG_READER = "catalog"


def image_from_params(value: Any) -> Image | None:
    """The run's `image` param ({"media_type", "base64"}) as a checked image: PNG or JPEG by its
    bytes and within `[ai_etl] image_max_mb`, whatever put it there (the API checked it too, but a
    run can be triggered by hand). A bad one fails the task by name."""
    import base64
    import binascii

    from airflow.sdk.exceptions import AirflowFailException

    from airflow_ai_etl.agents.images import ImageError, read_image_chunks

    if value is None:
        return None
    encoded = value.get("base64") if isinstance(value, dict) else None
    if not isinstance(encoded, str):
        raise AirflowFailException('params.image: give {"media_type": ..., "base64": ...} or null')
    try:
        data = base64.b64decode(encoded, validate=True)
        return read_image_chunks([data], "params.image")
    except (binascii.Error, ImageError) as exc:
        raise AirflowFailException(f"params.image: {exc}") from None


class GeneratePipelineOperator(BaseOperator):
    """Turn a plain-language request over the named connections into a validated pipeline.

    While it runs, the task publishes the agents' events as they happen under the XCom key
    `events`. Its return value (the `return_value` XCom) is the GenerationResult as JSON without
    the events: `ok`, the spec, the validation report, the rendered DAG source, the usage, plus
    `er`, the ER diagram of the tables the spec touches. A draft the offline planner made because
    the model was unavailable says so in it (`fallback`, `planned_by`) and in a warning in the log.

    A generation that ends without a valid pipeline (invalid plan, refused request, a model
    connection that is misconfigured or rejected) fails the task, without retries, after the
    result was published under `return_value` all the same, so that the reasons and the last draft
    stay readable; with `fail_on_error=False` it is a normal outcome (`ok` false) and the task
    succeeds. A connection in `conn_ids` that does not exist or cannot be read always fails it.

    The task never touches a database of ours: Airflow 3 keeps task processes away from the
    metadata database, so the api-server copies a system-DAG run's XComs into the ai_etl store.

    :param request: What the pipeline should do, in plain language.
    :param conn_ids: The connections whose schemas the pipeline may use.
    :param pipeline_dag_id: dag_id of the generated pipeline (default: the planner chooses).
    :param schedule: Cron expression or preset for the pipeline, over the planner's choice.
    :param offline: Plan with the deterministic offline planner, whatever models are configured.
    :param from_params: Take request, conn_ids, dag_id, schedule and offline from the DAG run's
        params instead, and `image`, an ER diagram the vision agent reads into CREATE TABLE
        steps (what the system DAG `ai_etl_generate` does, so a run can be triggered from
        Airflow's trigger form, the UI page or the REST API).
    :param llm_conn_id: A `pydanticai` connection for every agent (default: `[ai_etl] llm_conn_id`).
    :param model: A model id such as 'openai:gpt-5' (default: `[ai_etl] model`, else the connection's).
    :param max_rounds: Bound on validation-repair rounds (default: the reflector's).
    :param dry_run_sql: Try every read query on its database (read-only, rolled back) during QA.
    :param fail_on_error: Fail the task when no valid pipeline came out (default); False keeps
        the task green with `ok: false` in its result.
    """

    template_fields: Sequence[str] = ("request", "conn_ids", "pipeline_dag_id", "schedule")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        request: str | None = None,
        conn_ids: Sequence[str] = (),
        pipeline_dag_id: str | None = None,
        schedule: str | None = None,
        offline: bool = False,
        from_params: bool = False,
        llm_conn_id: str | None = None,
        model: str | None = None,
        max_rounds: int | None = None,
        dry_run_sql: bool = True,
        fail_on_error: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (request is None) != from_params:
            raise ValueError("request, from_params: give a request text, or from_params=True (not both)")
        if request is not None and not conn_ids:
            raise ValueError("conn_ids: name at least one connection the pipeline may use")
        self.request = request
        self.conn_ids = list(conn_ids)
        self.pipeline_dag_id = pipeline_dag_id
        self.schedule = schedule
        self.offline = offline
        self.from_params = from_params
        self.llm_conn_id = llm_conn_id
        self.model = model
        self.max_rounds = max_rounds
        self.dry_run_sql = dry_run_sql  # not `dry_run`: BaseOperator has a method of that name
        self.fail_on_error = fail_on_error
        #: The ER diagram of a request made from a picture (only from a run's params).
        self.image: Image | None = None

    def _take_params(self, context: Context) -> None:
        """Fill the order from the run's params; a missing or mistyped one fails the task by name."""
        from airflow.sdk.exceptions import AirflowFailException

        params = context["params"]
        request, conn_ids = params.get("request"), params.get("conn_ids")
        if not isinstance(request, str):  # an empty one is the orchestrator's to report, like any request
            raise AirflowFailException("params.request: give the request text")
        if not isinstance(conn_ids, list) or not conn_ids or not all(isinstance(c, str) for c in conn_ids):
            raise AirflowFailException("params.conn_ids: give a list of connection ids")
        self.request, self.conn_ids = request, conn_ids
        self.pipeline_dag_id = params.get("dag_id") or None
        self.schedule = params.get("schedule") or None
        self.offline = bool(params.get("offline"))
        self.image = image_from_params(params.get("image"))
        if self.image is not None and len(dict.fromkeys(conn_ids)) != 1:
            raise AirflowFailException(
                "params.conn_ids: an ER diagram creates its tables on exactly one connection"
            )

    def _catalogs(self, emit: Callable[[Event], None]) -> list[SchemaCatalog]:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_ai_etl.agents.events import Event
        from airflow_ai_etl.catalog.connections import UnknownConnectionError
        from airflow_ai_etl.catalog.errors import CatalogError
        from airflow_ai_etl.catalog.introspect import introspect

        catalogs = []
        for conn_id in dict.fromkeys(self.conn_ids):
            emit(Event(agent=CATALOG_READER, message=f"reading the schema of '{conn_id}'", phase="start"))
            started = time.perf_counter()
            try:
                catalog = introspect(conn_id)
            except (UnknownConnectionError, CatalogError) as exc:
                from airflow_ai_etl.store.generation import ORCHESTRATOR

                message = f"conn_ids: cannot read the schema of '{conn_id}': {exc}"
                emit(Event(agent=ORCHESTRATOR, message=message, level="error"))
                raise AirflowFailException(message) from None
            duration_ms = (time.perf_counter() - started) * 1000
            read = f"read {len(catalog.tables)} table(s) of '{conn_id}'"
            emit(Event(agent=CATALOG_READER, message=read, duration_ms=duration_ms))
            catalogs.append(catalog)
        return catalogs

    def _log_event(self, event: Event) -> None:
        tokens = f" [{event.input_tokens}+{event.output_tokens} tokens]" if event.input_tokens else ""
        line = f"{event.agent}: {event.message} ({event.duration_ms:.0f} ms){tokens}"
        {"info": self.log.info, "warning": self.log.warning, "error": self.log.error}[event.level](line)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        if self.from_params:
            self._take_params(context)
        assert self.request is not None
        published: list[dict[str, Any]] = []
        ti = context["ti"]

        def publish(event: Event) -> None:
            self._log_event(event)
            published.append(event.model_dump(mode="json"))
            ti.xcom_push(key=EVENTS_XCOM_KEY, value=published)

        catalogs = self._catalogs(publish)
        # The agents' imports come after the first events: the page shows the schema being read
        # while they load, not a task that seems to wait for nothing.
        from airflow_ai_etl.agents.llm_config import LLMChoice
        from airflow_ai_etl.agents.orchestrator import generate
        from airflow_ai_etl.agents.reflector import DEFAULT_MAX_ROUNDS
        from airflow_ai_etl.store.generation import published_result

        llm = LLMChoice(conn_id=self.llm_conn_id, model=self.model)
        if self.image is not None:  # the vision agent reads the diagram here, in the worker
            from airflow_ai_etl.agents.from_picture import generate_from_picture

            result = generate_from_picture(
                self.image, self.request, catalogs[0], dag_id=self.pipeline_dag_id, llm=llm, on_event=publish
            )
        else:
            result = generate(
                self.request,
                catalogs,
                dag_id=self.pipeline_dag_id,
                llm=llm,
                max_rounds=DEFAULT_MAX_ROUNDS if self.max_rounds is None else self.max_rounds,
                dry_run=self.dry_run_sql,
                on_event=publish,
                offline=self.offline,
                schedule=self.schedule,
            )
        data = published_result(result, catalogs)
        if result.ok and result.spec is not None:
            self.log.info(
                "generated a valid pipeline '%s' (planned by %s)", result.spec.dag_id, result.planned_by
            )
            if result.fallback is not None:
                self.log.warning(
                    "FALLBACK: the model was unavailable (%s); the offline planner made this draft",
                    result.fallback,
                )
            return data
        self.log.warning("no valid pipeline: %s", result.reason)
        if not self.fail_on_error:
            return data
        # A failed task publishes no return value: push it by hand so the reasons stay readable.
        ti.xcom_push(key=RETURN_VALUE_XCOM_KEY, value=data)
        raise AirflowFailException(f"no valid pipeline: {result.reason}")
