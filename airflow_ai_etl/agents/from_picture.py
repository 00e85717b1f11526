"""Schemas from a picture: ER-diagram image -> vision agent -> CREATE TABLE steps -> validated draft.

The same result a text request gives (`GenerationResult`), so the CLI, the page and the store
handle it as any draft: events, usage, the validation report, the rendered DAG source.
"""

from __future__ import annotations

import time

from airflow_ai_etl.agents.events import Event, EventCallback, GenerationResult
from airflow_ai_etl.agents.images import Image
from airflow_ai_etl.agents.llm import MODEL_ERRORS, AgentCall, connect
from airflow_ai_etl.agents.llm_config import LLMChoice, LLMUnavailable, describe_error
from airflow_ai_etl.agents.orchestrator import QA_VALIDATOR
from airflow_ai_etl.agents.picture_spec import PictureError, spec_from_picture
from airflow_ai_etl.agents.usage import UsageMeter
from airflow_ai_etl.agents.vision import AGENT, read_schema
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.render import RenderError, render_dag
from airflow_ai_etl.validation import ValidationContext, context_from_airflow, validate_spec

DEFAULT_DAG_ID = "tables_from_diagram"


def generate_from_picture(
    image: Image,
    request: str,
    catalog: SchemaCatalog,
    *,
    dag_id: str | None = None,
    llm: LLMChoice | None = None,
    on_event: EventCallback | None = None,
) -> GenerationResult:
    """A draft that creates, on `catalog`'s connection, the tables the image shows."""
    events: list[Event] = []
    meter = UsageMeter()

    def emit(agent: str, message: str, started: float, level: str = "info", **data: object) -> None:
        event = Event(
            agent=agent,
            message=message,
            duration_ms=(time.perf_counter() - started) * 1000,
            level=level,
            data=dict(data),
        )
        events.append(event)
        if on_event is not None:
            on_event(event)

    def failed(reason: str) -> GenerationResult:
        return GenerationResult(ok=False, reason=reason, events=events, usage=meter.summary())

    started = time.perf_counter()
    try:
        model = connect(AGENT, llm)
    except LLMUnavailable as exc:
        return failed(str(exc))
    if model is None:
        return failed(
            "reading a diagram needs a vision-capable model: set [ai_etl] vision_llm_conn_id "
            "(or llm_conn_id) to a pydanticai connection, or pass --llm-conn-id"
        )
    call = AgentCall()
    try:
        schema = read_schema(image, request, model, call)
    except MODEL_ERRORS as exc:
        meter.add(AGENT, call.usage, failed=1)
        emit(AGENT, f"could not read the diagram: {describe_error(exc)}", started, level="error")
        return failed(f"the vision model could not read {image.name}: {describe_error(exc)}")
    meter.add(AGENT, call.usage)
    tables = ", ".join(t.name for t in schema.tables)
    emit(AGENT, f"read {len(schema.tables)} table(s) from {image.name}: {tables}", started)
    try:
        spec = spec_from_picture(
            schema,
            conn_id=catalog.conn_id,
            dialect=catalog.dialect,
            dag_id=dag_id or DEFAULT_DAG_ID,
            request=request,
            db_schema=catalog.default_schema,
        )
    except (PictureError, ValueError) as exc:
        emit(AGENT, f"the diagram's schema cannot become tables: {exc}", started, level="error")
        return failed(f"the diagram's schema cannot become tables: {exc}")
    started = time.perf_counter()
    found = context_from_airflow(spec, introspect_schemas=False)
    context = ValidationContext(
        connections=found.connections, catalogs={catalog.conn_id: catalog}, author="generation"
    )
    report = validate_spec(spec, context)
    level = "info" if report.ok else "warning"
    emit(QA_VALIDATOR, "valid" if report.ok else f"{len(report.errors)} error(s)", started, level=level)
    if not report.ok:
        return GenerationResult(
            ok=False,
            spec=spec,
            report=report,
            events=events,
            usage=meter.summary(),
            reason=f"the tables from the diagram do not validate: {', '.join(report.codes())}",
        )
    try:
        source = render_dag(spec)
    except RenderError as exc:
        return failed(f"render: {exc}")
    return GenerationResult(
        ok=True, spec=spec, report=report, source=source, events=events, usage=meter.summary()
    )
