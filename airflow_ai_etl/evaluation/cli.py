"""`ai-etl eval SUITE`: run an eval suite and print per-case and overall pass rate, tokens, latency.

With several `--model`s (or a model and `--offline`), the suite runs once per model (and once
offline) and one side-by-side table compares them (evaluation/compare.py), as text, Markdown or
JSON (`--format`).

Exit codes: 0 every case passed; 1 a case failed; 2 the suite file (or an option) is wrong, with
a message naming the field. `ai-etl`'s parser adds the command with `add_eval_command` and calls
`run_eval_command` for it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from airflow_ai_etl.evaluation.compare import Format
    from airflow_ai_etl.evaluation.suite import Suite

EXIT_FAILED = 1
EXIT_USAGE = 2


def add_eval_command(subparsers: Any) -> None:
    """Add `eval` to an argparse subparsers object (`ArgumentParser.add_subparsers()`)."""
    cmd = subparsers.add_parser(
        "eval",
        help="run an eval suite: requests -> drafts, checked against expectations",
        description="Generate a draft for every case of SUITE and check it against the case's "
        "expectations; print pass rate, tokens and latency per case and overall.",
    )
    cmd.add_argument("suite", metavar="SUITE", help="suite file (.yaml)")
    cmd.add_argument(
        "--offline",
        action="store_true",
        help="plan with the offline planner (no model); with --model, one more column of the comparison",
    )
    cmd.add_argument("--llm-conn-id", metavar="CONN_ID", help="LLM connection for every agent")
    cmd.add_argument(
        "--model",
        dest="models",
        action="append",
        metavar="MODEL",
        help="model id for every agent, e.g. openai:gpt-5; repeat to compare models side by side",
    )
    cmd.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default=None,
        help="how the results read (default text; markdown and json for a report)",
    )
    cmd.add_argument("--json", action="store_true", help="the same as --format json")
    rows = cmd.add_mutually_exclusive_group()
    rows.add_argument(
        "--with-rows",
        dest="with_rows",
        action="store_true",
        default=True,
        help="run each DAG with `airflow dags test` for the cases' rows checks (default)",
    )
    rows.add_argument("--no-rows", dest="with_rows", action="store_false", help="skip the rows checks")
    cmd.add_argument(
        "--case", dest="cases", action="append", metavar="NAME", help="run only this case (repeatable)"
    )


def _fail(message: str, code: int) -> int:
    print(f"ai-etl eval: {message}", file=sys.stderr)
    return code


def run_eval_command(args: argparse.Namespace) -> int:
    out = sys.stdout
    # Airflow and the drivers log to stdout (from their first import on); keep stdout for the
    # results, so that --json output parses.
    with contextlib.redirect_stdout(sys.stderr):
        return _run(args, out)


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from airflow_ai_etl.agents.llm_config import LLMChoice
    from airflow_ai_etl.evaluation.report import format_case, format_json, format_summary
    from airflow_ai_etl.evaluation.runner import CaseResult, UnknownCaseError, run_suite
    from airflow_ai_etl.evaluation.suite import SuiteError, load_suite

    models: list[str] = list(dict.fromkeys(m.strip() for m in args.models or [] if m.strip()))
    if args.models and not models:
        return _fail("--model: give a model id, e.g. openai:gpt-5", EXIT_USAGE)
    fmt: Format = "json" if args.json else args.format or "text"
    if args.json and args.format not in (None, "json"):
        return _fail(f"--json and --format {args.format} contradict each other", EXIT_USAGE)
    if args.offline and args.llm_conn_id and not models:
        return _fail(
            "--offline cannot be combined with --llm-conn-id alone: add --model to compare", EXIT_USAGE
        )
    try:
        suite = load_suite(args.suite)
    except SuiteError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if len(models) + args.offline >= 2:
        return _compare(args, suite, models, fmt, out)
    if fmt == "markdown":
        return _fail(
            "--format markdown is the comparison table: give two --model, or --model and --offline",
            EXIT_USAGE,
        )
    model = models[0] if models else None
    llm = LLMChoice(conn_id=args.llm_conn_id, model=model) if args.llm_conn_id or model else None

    def show(case: CaseResult) -> None:
        if fmt == "text":
            print(format_case(case), file=out, flush=True)

    try:
        result = run_suite(
            suite, offline=args.offline, llm=llm, with_rows=args.with_rows, only=args.cases, on_case=show
        )
    except UnknownCaseError as exc:
        return _fail(f"--case: {exc}", EXIT_USAGE)
    print(format_json(result) if fmt == "json" else f"\n{format_summary(result)}", file=out)
    return 0 if result.passed == len(result.cases) else EXIT_FAILED


def _compare(args: argparse.Namespace, suite: Suite, models: list[str], fmt: Format, out: TextIO) -> int:
    """The suite once per model (and offline), then one table; exit 0 only when every run passed."""
    from airflow_ai_etl.agents.llm_config import LLMChoice
    from airflow_ai_etl.evaluation.compare import FORMATTERS, OFFLINE, Column
    from airflow_ai_etl.evaluation.runner import UnknownCaseError, run_suite

    runs: list[tuple[str, LLMChoice | None]] = [
        (m, LLMChoice(conn_id=args.llm_conn_id, model=m)) for m in models
    ]
    if args.offline:
        runs.append((OFFLINE, None))
    columns = []
    for label, llm in runs:
        print(f"ai-etl eval: running the suite with {label}", file=sys.stderr, flush=True)
        try:
            result = run_suite(suite, offline=llm is None, llm=llm, with_rows=args.with_rows, only=args.cases)
        except UnknownCaseError as exc:
            return _fail(f"--case: {exc}", EXIT_USAGE)
        columns.append(Column(label=label, result=result))
    print(FORMATTERS[fmt](columns), file=out)
    return 0 if all(c.result.passed == len(c.result.cases) for c in columns) else EXIT_FAILED
