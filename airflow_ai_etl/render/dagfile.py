"""PipelineSpec -> the source of an ordinary, readable Airflow DAG file.

The file is built from fixed templates (below); spec values enter it only as literals from
`py_literal` or as comment text that cannot leave its comment. The same spec always gives the
same bytes, so a file's `spec-sha256` header identifies what it was rendered from.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from airflow_ai_etl.render.errors import RenderError
from airflow_ai_etl.render.layout import INDENT, LINE_LENGTH, Call, Code, Sql, lay_out, width
from airflow_ai_etl.spec.io import spec_hash
from airflow_ai_etl.spec.models import (
    AnyStep,
    ColumnCheck,
    CsvOptions,
    ExpressionCheck,
    FileExportStep,
    FileLoadStep,
    FreshnessCheck,
    KafkaIngestStep,
    PipelineSpec,
    QualityCheckStep,
    RowCountChangeCheck,
    RowCountCheck,
    SparkSqlStep,
    SqlStep,
    TransferStep,
)

GENERATED_MARKER = "# airflow-ai-etl: generated DAG file"

_HASH_LINE = re.compile(r"# spec-sha256: ([0-9a-f]{64})")
_DAG_ID_LINE = re.compile(r"# dag_id: ([A-Za-z][A-Za-z0-9_]*)")

_SQL_OPERATORS = "airflow.providers.common.sql.operators.sql"
#: Where each name the file can use comes from.
_IMPORTS: dict[str, str] = {
    "datetime": "datetime",
    "timedelta": "datetime",
    "timezone": "datetime",
    "DAG": "airflow.sdk",
    "TaskGroup": "airflow.sdk",
    "chain": "airflow.sdk",
    "SQLExecuteQueryOperator": _SQL_OPERATORS,
    "SQLColumnCheckOperator": _SQL_OPERATORS,
    "SQLTableCheckOperator": _SQL_OPERATORS,
    "SmtpNotifier": "airflow.providers.smtp.notifications.smtp",
    "TransferOperator": "airflow_ai_etl.operators.transfer",
    "RowCountChangeOperator": "airflow_ai_etl.operators.quality",
    "FileToSqlOperator": "airflow_ai_etl.operators.files",
    "SqlToFileOperator": "airflow_ai_etl.operators.files",
    "FreshnessOperator": "airflow_ai_etl.operators.quality",
    "KafkaToSqlOperator": "airflow_ai_etl.operators.kafka",
    "SparkSqlTransformOperator": "airflow_ai_etl.operators.spark",
}

#: Names a variable must not take: keywords, and soft keywords of any Python version we run on.
_PYTHON_WORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"match", "case", "type", "_"}

#: Spec column checks -> SQLColumnCheckOperator check names.
_COLUMN_CHECKS = {
    "not_null": "null_check",
    "unique": "unique_check",
    "min": "min",
    "max": "max",
    "distinct_count": "distinct_check",
}


@dataclass(frozen=True)
class RenderedHeader:
    """What a rendered file says about itself in its first lines."""

    spec_sha256: str
    dag_id: str


@dataclass
class _Source:
    """Lines of the `with DAG(...)` body and the names they use."""

    lines: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    dag_id: str = ""  # for defaults derived from it (a kafka_ingest step's consumer group)

    def call(self, func: str, *args: object, split: bool = False, **kwargs: object) -> Call:
        self.used.add(func)
        present = tuple((name, value) for name, value in kwargs.items() if value is not None)
        return Call(func, args, present, split=split)


def _comment_text(line: str) -> str:
    """A line of foreign text made safe for a comment: control characters become visible escapes."""
    text = "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in line)
    return ("# " + text).rstrip()


def _header(spec: PipelineSpec) -> list[str]:
    lines = [
        GENERATED_MARKER,
        f"# spec-sha256: {spec_hash(spec)}",
        f"# dag_id: {spec.dag_id}",
        f"# Do not edit by hand: change the spec ({spec.dag_id}.yaml beside this file) and redeploy.",
    ]
    if spec.request:
        lines += ["#", "# Request:"]
        # splitlines() splits on every character Python or an editor may treat as a line break.
        lines += [_comment_text(line) for line in spec.request.splitlines()]
    return lines


def read_header(source: str) -> RenderedHeader | None:
    """The header of a file rendered by `render_dag`, or None for any other file.

    Only the fixed first lines are read, so text quoted later in the header cannot pose as them.
    """
    lines = source.split("\n", 3)[:3]
    if len(lines) < 3 or lines[0].rstrip("\r") != GENERATED_MARKER:
        return None
    sha = _HASH_LINE.fullmatch(lines[1].rstrip("\r"))
    dag_id = _DAG_ID_LINE.fullmatch(lines[2].rstrip("\r"))
    if sha is None or dag_id is None:
        return None
    return RenderedHeader(spec_sha256=sha.group(1), dag_id=dag_id.group(1))


def _variable_names(spec: PipelineSpec) -> dict[str, str]:
    """Step id -> Python variable, suffixed where the id is a keyword or a name the file imports."""
    taken = {step.id for step in spec.steps} | set(_IMPORTS)
    names: dict[str, str] = {}
    for step in spec.steps:
        if step.id in names:
            raise RenderError(f"step id {step.id!r} is used by more than one step")
        name = step.id
        if name in _PYTHON_WORDS or name in _IMPORTS:
            name, n = f"{step.id}_task", 2
            while name in taken:
                name, n = f"{step.id}_task_{n}", n + 1
            taken.add(name)
        names[step.id] = name
    return names


def _number(value: float) -> int | float:
    """1.0 -> 1 for readability; other numbers unchanged."""
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


def _summary(step: AnyStep) -> str:
    """doc_md for a step without a description."""
    if isinstance(step, SqlStep):
        return f"Runs one SQL statement on connection `{step.conn_id}`."
    if isinstance(step, TransferStep):
        source = step.source.table or "a query"
        return (
            f"Copies rows of {source} on `{step.source.conn_id}` into `{step.target.table}` "
            f"on `{step.target.conn_id}` (mode: {step.mode.value})."
        )
    if isinstance(step, FileLoadStep):
        return (
            f"Loads {step.format.value} from `{step.path}` into `{step.target.table}` "
            f"on `{step.target.conn_id}` (mode: {step.mode.value})."
        )
    if isinstance(step, FileExportStep):
        source = step.source.table or "a query"
        return f"Writes rows of {source} on `{step.source.conn_id}` to `{step.path}` ({step.format.value})."
    if isinstance(step, KafkaIngestStep):
        return (
            f"Loads messages of Kafka topic `{step.topic}` on `{step.kafka_conn_id}` into "
            f"`{step.target.table}` on `{step.target.conn_id}` ({step.format}), exactly once."
        )
    if isinstance(step, SparkSqlStep):
        return _spark_summary(step)
    assert isinstance(step, QualityCheckStep)
    return f"Checks table `{step.table}` on connection `{step.conn_id}`."


def _column_mapping(step: QualityCheckStep) -> dict[str, dict[str, dict[str, int | float]]]:
    mapping: dict[str, dict[str, dict[str, int | float]]] = {}
    for check in step.checks:
        if not isinstance(check, ColumnCheck):
            continue
        checks = mapping.setdefault(check.column, {})
        name = _COLUMN_CHECKS[check.check]
        bounds = check.bounds.model_dump(exclude_none=True) if check.bounds else {"equal_to": 0}
        checks[name] = {key: _number(value) for key, value in bounds.items()}
    return mapping


def _expression_statement(condition: str) -> str:
    """True when the condition holds for every row; also on an empty table (one row, never NULL)."""
    end = "\n" if "\n" in condition or "--" in condition else ""
    return f"COUNT(CASE WHEN ({condition}{end}) THEN 1 END) = COUNT(*)"


def _table_checks(step: QualityCheckStep) -> dict[str, dict[str, Sql]]:
    expressions = [c for c in step.checks if isinstance(c, ExpressionCheck)]
    names = [c.name for c in expressions]
    checks: dict[str, dict[str, Sql]] = {}
    for check in step.checks:
        if isinstance(check, RowCountCheck):
            name, n = "row_count", 2
            while name in checks or name in names:
                name, n = f"row_count_{n}", n + 1
            statement = f"COUNT(*) >= {check.min}"
            if check.max is not None:
                statement += f" AND COUNT(*) <= {check.max}"
            checks[name] = {"check_statement": Sql(statement)}
        elif isinstance(check, ExpressionCheck):
            checks[check.name] = {"check_statement": Sql(_expression_statement(check.condition))}
    return checks


#: Table checks run the spec's own conditions: on PostgreSQL their session is read-only, so a write
#: that slipped past validation fails (other hooks ignore the parameter).
READ_ONLY_HOOK_PARAMS = {"options": "-c default_transaction_read_only=on"}


def _quality_calls(step: QualityCheckStep, src: _Source, doc_md: str) -> list[tuple[str, Call]]:
    """(task id within the step, call) for each operator the step's checks need."""
    common = {"conn_id": step.conn_id, "table": step.table}
    calls: list[tuple[str, Call]] = []
    mapping = _column_mapping(step)
    if mapping:
        call = src.call("SQLColumnCheckOperator", split=True, **common, column_mapping=mapping)
        calls.append(("columns", call))
    table_checks = _table_checks(step)
    if table_checks:
        call = src.call(
            "SQLTableCheckOperator",
            split=True,
            **common,
            checks=table_checks,
            hook_params=READ_ONLY_HOOK_PARAMS,
        )
        calls.append(("table", call))
    changes = [c for c in step.checks if isinstance(c, RowCountChangeCheck)]
    for change in changes:
        call = src.call(
            "RowCountChangeOperator",
            split=True,
            **common,
            max_drop_pct=None if change.max_drop_pct is None else _number(change.max_drop_pct),
            max_growth_pct=None if change.max_growth_pct is None else _number(change.max_growth_pct),
        )
        calls.append(("row_count_change", call))
    fresh = [c for c in step.checks if isinstance(c, FreshnessCheck)]
    for check in fresh:
        call = src.call(
            "FreshnessOperator",
            split=True,
            **common,
            column=check.column,
            max_age_minutes=_number(check.max_age_minutes),
        )
        calls.append(("freshness" if len(fresh) == 1 else f"freshness_{check.column}", call))
    return [
        (task_id, Call(c.func, c.args, (("task_id", task_id), *c.kwargs, ("doc_md", doc_md)), c.split))
        for task_id, c in calls
    ]


def _spark_summary(step: SparkSqlStep) -> str:
    if step.target_table is None:
        return f"Runs one Spark SQL statement on connection `{step.conn_id}`."
    return (
        f"Writes a Spark SQL query's rows to `{step.target_table}` on `{step.conn_id}` "
        f"(mode: {step.mode.value})."
    )


def _spark_call(step: SparkSqlStep, src: _Source, doc_md: str) -> Call:
    targeted = step.target_table is not None
    return src.call(
        "SparkSqlTransformOperator",
        split=True,
        task_id=step.id,
        conn_id=step.conn_id,
        sql=Sql(step.sql),
        target_table=step.target_table,
        mode=step.mode.value if targeted else None,
        partition_by=step.partition_by or None,
        doc_md=doc_md,
    )


def _task_call(step: AnyStep, src: _Source, doc_md: str) -> Call:
    if isinstance(step, SparkSqlStep):
        return _spark_call(step, src, doc_md)
    if isinstance(step, SqlStep):
        return src.call(
            "SQLExecuteQueryOperator",
            split=True,
            task_id=step.id,
            conn_id=step.conn_id,
            sql=Sql(step.sql),
            doc_md=doc_md,
        )
    if isinstance(step, FileLoadStep | FileExportStep):
        return _file_call(step, src, doc_md)
    if isinstance(step, KafkaIngestStep):
        return _kafka_call(step, src, doc_md)
    assert isinstance(step, TransferStep)
    return src.call(
        "TransferOperator",
        split=True,
        task_id=step.id,
        source_conn_id=step.source.conn_id,
        source_sql=None if step.source.sql is None else Sql(step.source.sql),
        source_table=step.source.table,
        target_conn_id=step.target.conn_id,
        target_table=step.target.table,
        mode=step.mode.value,
        key=step.key or None,
        watermark=step.watermark,
        batch_size=step.batch_size,
        create_target=step.create_target or None,
        doc_md=doc_md,
    )


def _csv_kwargs(csv: CsvOptions | None) -> dict[str, object]:
    """Only the CSV options that differ from the operators' defaults, so files stay short."""
    if csv is None:
        return {}
    defaults = CsvOptions()
    return {
        f"csv_{name}": value for name, value in csv.model_dump().items() if value != getattr(defaults, name)
    }


def _file_call(step: FileLoadStep | FileExportStep, src: _Source, doc_md: str) -> Call:
    common: dict[str, object] = {
        "format": step.format.value,
        "storage_conn_id": step.storage_conn_id,
        **_csv_kwargs(step.csv),
        "compression": None if step.compression.value == "auto" else step.compression.value,
        "batch_size": step.batch_size,
    }
    if isinstance(step, FileLoadStep):
        return src.call(
            "FileToSqlOperator",
            split=True,
            task_id=step.id,
            path=step.path,
            target_conn_id=step.target.conn_id,
            target_table=step.target.table,
            mode=step.mode.value,
            key=step.key or None,
            columns=step.columns,
            **common,
            doc_md=doc_md,
        )
    return src.call(
        "SqlToFileOperator",
        split=True,
        task_id=step.id,
        source_conn_id=step.source.conn_id,
        sql=None if step.source.sql is None else Sql(step.source.sql),
        source_table=step.source.table,
        path=step.path,
        **common,
        doc_md=doc_md,
    )


def _kafka_call(step: KafkaIngestStep, src: _Source, doc_md: str) -> Call:
    """KafkaToSqlOperator; the consumer group defaults to one per DAG and step, written out."""
    return src.call(
        "KafkaToSqlOperator",
        split=True,
        task_id=step.id,
        kafka_conn_id=step.kafka_conn_id,
        topic=step.topic,
        target_conn_id=step.target.conn_id,
        target_table=step.target.table,
        key=step.key or None,
        columns=step.columns,
        max_messages=step.max_messages,
        group_id=step.group_id or f"ai_etl.{src.dag_id}.{step.id}",
        value_format=step.format,
        avro_schema=step.avro_schema,
        avro_schema_id=step.avro_schema_id,
        dead_letter_table=step.dead_letter_table,
        doc_md=doc_md,
    )


def _step_lines(step: AnyStep, variable: str, src: _Source) -> list[str]:
    doc_md = step.description or _summary(step)
    if not isinstance(step, QualityCheckStep):
        return lay_out(_task_call(step, src, doc_md), INDENT, f"{variable} = ")
    calls = _quality_calls(step, src, doc_md)
    if len(calls) == 1:  # one operator: the task is the step
        _, call = calls[0]
        kwargs = tuple((k, step.id if k == "task_id" else v) for k, v in call.kwargs)
        return lay_out(Call(call.func, call.args, kwargs, call.split), INDENT, f"{variable} = ")
    # Assigned, then entered: `with TaskGroup(...) as name:` has no layout ruff keeps at every width.
    group = src.call("TaskGroup", group_id=step.id, tooltip=step.description or None)
    lines = [*lay_out(group, INDENT, f"{variable} = "), f"{INDENT}with {variable}:"]
    for _, call in calls:
        lines += lay_out(call, INDENT * 2)
    return lines


def _dependency_lines(spec: PipelineSpec, names: dict[str, str], src: _Source) -> list[str]:
    """`upstream >> step`, one edge per line; chain(...) where that would not fit on a line."""
    lines = []
    for step in spec.steps:
        for upstream in step.depends_on:
            if upstream not in names:
                raise RenderError(f"step {step.id!r} depends on {upstream!r}, which is not a step")
            edge = f"{INDENT}{names[upstream]} >> {names[step.id]}"
            if width(edge) <= LINE_LENGTH:
                lines.append(edge)
            else:  # a split `>>` would be re-joined by ruff at a longer line length; a call is not
                call = src.call("chain", Code(names[upstream]), Code(names[step.id]), split=True)
                lines += lay_out(call, INDENT)
    return lines


def _dag_call(spec: PipelineSpec, src: _Source) -> Call:
    doc_parts = [spec.description] if spec.description else []
    if spec.request:
        doc_parts.append("### Request\n\n" + spec.request)
    start = spec.start_date
    default_args: dict[str, object] = {
        "owner": spec.owner,
        "retries": spec.retries,
        "retry_delay": src.call("timedelta", minutes=_number(spec.retry_delay_minutes)),
    }
    if spec.on_failure is not None:
        notifier = src.call("SmtpNotifier", to=spec.on_failure.to, smtp_conn_id=spec.on_failure.smtp_conn_id)
        default_args["on_failure_callback"] = notifier
    src.used.add("timezone")
    return src.call(
        "DAG",
        split=True,
        dag_id=spec.dag_id,
        description=spec.description or None,
        doc_md="\n\n".join(doc_parts) or None,
        schedule=Code("None") if spec.schedule is None else spec.schedule,
        start_date=src.call("datetime", start.year, start.month, start.day, tzinfo=Code("timezone.utc")),
        catchup=spec.catchup,
        max_active_runs=spec.max_active_runs,
        tags=spec.tags,
        default_args=default_args,
    )


def _import_lines(used: Iterable[str]) -> list[str]:
    """Imports grouped stdlib / Airflow / this package, as isort would order them."""
    by_module: dict[str, list[str]] = {}
    for name in sorted(used):
        by_module.setdefault(_IMPORTS[name], []).append(name)
    groups: list[list[str]] = [[], [], []]
    for module in sorted(by_module):
        group = 0 if module == "datetime" else 2 if module.startswith("airflow_ai_etl") else 1
        names = by_module[module]
        line = f"from {module} import {', '.join(names)}"
        if width(line) > LINE_LENGTH:
            groups[group] += [f"from {module} import (", *(f"{INDENT}{n}," for n in names), ")"]
        else:
            groups[group].append(line)
    lines: list[str] = []
    for group_lines in groups:
        if group_lines:
            lines += [*group_lines, ""]
    return lines


def render_dag(spec: PipelineSpec) -> str:
    """The DAG file for a spec: deterministic, formatted, every spec value a verified literal."""
    names = _variable_names(spec)
    src = _Source(dag_id=spec.dag_id)
    body: list[str] = []
    for step in spec.steps:
        if body:
            body.append("")
        body += _step_lines(step, names[step.id], src)
    dependencies = _dependency_lines(spec, names, src)
    if dependencies:
        body += ["", *dependencies]
    dag = lay_out(_dag_call(spec, src), "", "with ", ":")
    lines = [*_header(spec), "", *_import_lines(src.used), *dag, *body]
    return "\n".join(lines) + "\n"
