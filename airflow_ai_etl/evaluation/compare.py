"""Models compared on one suite: the suite run once per model (and once offline, when asked), and
the runs side by side, one column per model, as a text table, Markdown or JSON.

Rows: pass rate, rows-exact rate (cases whose DAG produced exactly the expected rows, among
those with rows checks), repair rounds, tokens, cost, p50/p95 latency. Latency is what
`run_suite` measures (generation only, catalogs introspected before the clock starts), so the
columns compare the models, not the databases.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from airflow_ai_etl.evaluation.runner import SuiteResult

Format = Literal["text", "markdown", "json"]

#: Label of the offline planner's column.
OFFLINE = "offline"


@dataclass(frozen=True)
class Column:
    """One run of the suite: the model it used (or `offline`) and what came of it."""

    label: str
    result: SuiteResult


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _cost(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


#: (row name, how a run reads in it)
ROWS: tuple[tuple[str, Callable[[SuiteResult], str]], ...] = (
    ("cases passed", lambda r: f"{r.passed}/{len(r.cases)}"),
    ("pass rate", lambda r: _percent(r.pass_rate)),
    ("rows exact", lambda r: _percent(r.rows_exact_rate)),
    ("repair rounds", lambda r: str(r.repair_rounds)),
    ("tokens in/out", lambda r: f"{r.input_tokens}/{r.output_tokens}"),
    ("cost", lambda r: _cost(r.cost_usd)),
    ("latency p50", lambda r: f"{r.latency_p50_ms:.0f} ms"),
    ("latency p95", lambda r: f"{r.latency_p95_ms:.0f} ms"),
)


def _cells(columns: Sequence[Column]) -> list[list[str]]:
    header = ["", *(c.label for c in columns)]
    return [header, *([name, *(read(c.result) for c in columns)] for name, read in ROWS)]


def format_text(columns: Sequence[Column]) -> str:
    table = _cells(columns)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    ]
    return "\n".join(line.rstrip() for line in lines)


def _markdown_cell(cell: str) -> str:
    return cell.replace("|", "\\|")


def format_markdown(columns: Sequence[Column]) -> str:
    header, *body = _cells(columns)
    lines = [
        "| " + " | ".join(_markdown_cell(c) for c in header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
        *("| " + " | ".join(_markdown_cell(c) for c in row) + " |" for row in body),
    ]
    return "\n".join(lines)


def format_json(columns: Sequence[Column]) -> str:
    data = {
        "models": [
            {
                "model": c.label,
                "summary": c.result.summary(),
                "cases": [case.model_dump(mode="json") for case in c.result.cases],
            }
            for c in columns
        ]
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


FORMATTERS: dict[Format, Callable[[Sequence[Column]], str]] = {
    "text": format_text,
    "markdown": format_markdown,
    "json": format_json,
}
