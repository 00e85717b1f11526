"""Schemas from a picture: ER-diagram image -> vision agent -> CREATE TABLE steps -> validated draft.

The same result a text request gives (`GenerationResult`), so the CLI, the page and the store
handle it as any draft: events, usage, the validation report, the rendered DAG source.
"""

from __future__ import annotations

import time

from airflow_ai_etl.agents.events import EventCallback, GenerationResult, Level
from airflow_ai_etl.agents.images import Image
from airflow_ai_etl.agents.llm import MODEL_ERRORS, connect
from airflow_ai_etl.agents.llm_config import LLMChoice, LLMRejected, LLMUnavailable, describe_error
from airflow_ai_etl.agents.orchestrator import QA_VALIDATOR, _Run, agent_run, observe
from airflow_ai_etl.agents.picture_spec import PictureError, spec_from_picture
from airflow_ai_etl.agents.vision import AGENT, read_schema
from airflow_ai_etl.cache.calls import cache_scope
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.render import RenderError, render_dag
from airflow_ai_etl.validation import ValidationContext, context_from_airflow, validate_spec

DEFAULT_DAG_ID = "tables_from_diagram"
#: What a reading can fail with: the model's errors, and a rejected key (the guard's LLMRejected).
_READING_ERRORS: tuple[type[BaseException], ...] = (*MODEL_ERRORS, LLMRejected)


def generate_from_picture(
    image: Image,
    request: str,
    catalog: SchemaCatalog,
    *,
    dag_id: str | None = None,
    llm: LLMChoice | None = None,
    on_event: EventCallback | None = None,
) -> GenerationResult:
    """A draft that creates, on `catalog`'s connection, the tables the image shows. The vision call
    is an agent call like any (LLM cache, model guard, budgets, usage, metrics and telemetry)."""
    started = time.perf_counter()
    with cache_scope(request, [catalog], dag_id=dag_id):
        run = agent_run(request, [catalog], dag_id=dag_id, llm=llm, on_event=on_event)
        result = _from_picture(run, image, request, catalog, dag_id=dag_id, llm=llm)
    observe(result, run.calls, time.perf_counter() - started)
    return result


def _from_picture(
    run: _Run,
    image: Image,
    request: str,
    catalog: SchemaCatalog,
    *,
    dag_id: str | None,
    llm: LLMChoice | None,
) -> GenerationResult:
    def failed(reason: str) -> GenerationResult:
        return GenerationResult(ok=False, reason=reason, events=run.events, usage=run.meter.summary())

    try:
        model = connect(AGENT, llm)
    except LLMUnavailable as exc:
        return failed(str(exc))
    if model is None:
        return failed(
            "reading a diagram needs a vision-capable model: set [ai_etl] vision_llm_conn_id "
            "(or llm_conn_id) to a pydanticai connection, or pass --llm-conn-id"
        )
    run.begin(AGENT, f"reading {image.name}", model=model.label)
    started = time.perf_counter()
    with run.agent_call(AGENT, model) as call:
        try:
            schema = read_schema(image, request, model, call)
        except _READING_ERRORS as exc:
            schema = None
            problem = describe_error(exc)
    if schema is None:
        run.emit(AGENT, f"could not read the diagram: {problem}", call=call, level="error")
        return failed(f"the vision model could not read {image.name}: {problem}")
    tables = ", ".join(t.name for t in schema.tables)
    run.emit(AGENT, f"read {len(schema.tables)} table(s) from {image.name}: {tables}", call=call)
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
        run.emit(AGENT, f"the diagram's schema cannot become tables: {exc}", started=started, level="error")
        return failed(f"the diagram's schema cannot become tables: {exc}")
    started = time.perf_counter()
    found = context_from_airflow(spec, introspect_schemas=False)
    context = ValidationContext(
        connections=found.connections, catalogs={catalog.conn_id: catalog}, author="generation"
    )
    report = validate_spec(spec, context)
    level: Level = "info" if report.ok else "warning"
    run.emit(
        QA_VALIDATOR, "valid" if report.ok else f"{len(report.errors)} error(s)", started=started, level=level
    )
    if not report.ok:
        return GenerationResult(
            ok=False,
            spec=spec,
            report=report,
            events=run.events,
            usage=run.meter.summary(),
            reason=f"the tables from the diagram do not validate: {', '.join(report.codes())}",
        )
    try:
        source = render_dag(spec)
    except RenderError as exc:
        return failed(f"render: {exc}")
    return GenerationResult(
        ok=True, spec=spec, report=report, source=source, events=run.events, usage=run.meter.summary()
    )
