"""PipelineSpec -> the source of an ordinary, readable Airflow DAG file.

The file is built from fixed templates (below); spec values enter it only as literals from
`py_literal` or as comment text that cannot leave its comment. The same spec always gives the
same bytes, so a file's `spec-sha256` header identifies what it was rendered from.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass

from airflow_ai_etl.render.errors import RenderError
from airflow_ai_etl.render.layout import INDENT, LINE_LENGTH, Call, Code, lay_out, width
from airflow_ai_etl.render.source import DagSource, number
from airflow_ai_etl.spec.io import spec_hash
from airflow_ai_etl.spec.models import AnyStep, PipelineSpec

GENERATED_MARKER = "# airflow-ai-etl: generated DAG file"

_HASH_LINE = re.compile(r"# spec-sha256: ([0-9a-f]{64})")
_DAG_ID_LINE = re.compile(r"# dag_id: ([A-Za-z][A-Za-z0-9_]*)")

#: Where each name the file can use outside the steps' own operators comes from.
_DAG_IMPORTS: dict[str, str] = {
    "datetime": "datetime",
    "timedelta": "datetime",
    "timezone": "datetime",
    "DAG": "airflow.sdk",
    "TaskGroup": "airflow.sdk",
    "chain": "airflow.sdk",
    "SmtpNotifier": "airflow.providers.smtp.notifications.smtp",
}


def _imports() -> dict[str, str]:
    """Every name the file can use -> its module: the DAG's own, and each registered kind's."""
    from airflow_ai_etl.steps import registry  # the kinds' render fragments import render

    return {**_DAG_IMPORTS, **registry.imports()}


#: Names a variable must not take: keywords, and soft keywords of any Python version we run on.
_PYTHON_WORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"match", "case", "type", "_"}


@dataclass(frozen=True)
class RenderedHeader:
    """What a rendered file says about itself in its first lines."""

    spec_sha256: str
    dag_id: str


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
    imported = _imports()
    taken = {step.id for step in spec.steps} | set(imported)
    names: dict[str, str] = {}
    for step in spec.steps:
        if step.id in names:
            raise RenderError(f"step id {step.id!r} is used by more than one step")
        name = step.id
        if name in _PYTHON_WORDS or name in imported:
            name, n = f"{step.id}_task", 2
            while name in taken:
                name, n = f"{step.id}_task_{n}", n + 1
            taken.add(name)
        names[step.id] = name
    return names


def _step_lines(step: AnyStep, variable: str, src: DagSource) -> list[str]:
    from airflow_ai_etl.steps import registry  # the kinds' render fragments import render

    kind = registry.kind_of(step)
    calls = kind.task_calls(step, src, step.description or kind.summary(step))
    if len(calls) == 1:  # one operator: the task is the step
        return lay_out(calls[0], INDENT, f"{variable} = ")
    # Assigned, then entered: `with TaskGroup(...) as name:` has no layout ruff keeps at every width.
    group = src.call("TaskGroup", group_id=step.id, tooltip=step.description or None)
    lines = [*lay_out(group, INDENT, f"{variable} = "), f"{INDENT}with {variable}:"]
    for call in calls:
        lines += lay_out(call, INDENT * 2)
    return lines


def _dependency_lines(spec: PipelineSpec, names: dict[str, str], src: DagSource) -> list[str]:
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


def _dag_call(spec: PipelineSpec, src: DagSource) -> Call:
    doc_parts = [spec.description] if spec.description else []
    if spec.request:
        doc_parts.append("### Request\n\n" + spec.request)
    start = spec.start_date
    default_args: dict[str, object] = {
        "owner": spec.owner,
        "retries": spec.retries,
        "retry_delay": src.call("timedelta", minutes=number(spec.retry_delay_minutes)),
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
    imported = _imports()
    by_module: dict[str, list[str]] = {}
    for name in sorted(used):
        by_module.setdefault(imported[name], []).append(name)
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
    src = DagSource(dag_id=spec.dag_id)
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
