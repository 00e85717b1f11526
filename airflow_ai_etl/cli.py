"""`ai-etl`: validate, render, deploy and roll back pipeline specs; print schemas and catalogs.

Exit codes: 0 success; 1 the input was understood but refused (invalid spec, findings, unknown
connection, deploy refused, a request refused as out of scope); 2 usage errors (bad arguments, a
missing file); 3 (`generate`) a valid draft that the offline planner made because the model was
unavailable, or that the critics flagged: written, not deployed, unless `--allow-fallback` /
`--allow-flagged` accepts it. User errors are one
clear message on stderr, never a traceback. Airflow and the heavier modules are imported inside
the commands so that `ai-etl --help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.evaluation.cli import add_eval_command, run_eval_command

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from airflow_ai_etl.agents.events import AgentUsage, Event, GenerationResult
    from airflow_ai_etl.agents.images import Image
    from airflow_ai_etl.budgets.limiter import Subject
    from airflow_ai_etl.catalog.models import SchemaCatalog
    from airflow_ai_etl.deploy import Deployment
    from airflow_ai_etl.spec import PipelineSpec
    from airflow_ai_etl.store import Store

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_FALLBACK = 3


@dataclass(frozen=True)
class Outcome:
    """What a command prints on stdout, what it tells the user on stderr, and its exit code."""

    out: str = ""
    err: str = ""
    code: int = 0


class CliError(Exception):
    """A user error: `message` goes to stderr, `out` (e.g. JSON for scripts) to stdout."""

    def __init__(self, message: str, *, code: int = EXIT_REFUSED, out: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.out = out


def _existing_file(path_text: str) -> Path:
    path = Path(path_text)
    if not path.is_file():
        raise CliError(f"spec file not found: {path}", code=EXIT_USAGE)
    return path


def _read_spec(path_text: str) -> PipelineSpec:
    """Load a spec file; a missing file is a usage error, a bad one a refusal naming the field."""
    from airflow_ai_etl.spec import SpecError, load_spec

    try:
        return load_spec(_existing_file(path_text))
    except SpecError as exc:
        raise CliError(str(exc)) from None


def _dump_json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def cmd_spec_schema(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.spec import spec_json_schema

    return Outcome(out=_dump_json(spec_json_schema()))


def cmd_validate(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.spec.io import SpecError, parse_yaml, read_document
    from airflow_ai_etl.validation import context_from_airflow, validate_document, validate_spec

    path = _existing_file(args.spec)
    try:
        data = parse_yaml(read_document(path, SpecError), str(path), SpecError)
    except SpecError as exc:  # unreadable, or not YAML: the message names the line and column
        raise CliError(str(exc)) from None
    # Schema problems come back as findings too, so that --json always prints one Report shape.
    spec, report = validate_document(data)
    if spec is not None:
        report = validate_spec(spec, context_from_airflow(spec))
    if args.json:
        return Outcome(out=report.model_dump_json(indent=2), code=0 if report.ok else EXIT_REFUSED)
    if report.ok:
        return Outcome(out=report.to_text())
    return Outcome(err=f"{path}: {report.to_text()}", code=EXIT_REFUSED)


def cmd_render(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.render import RenderError, render_dag

    spec = _read_spec(args.spec)
    try:
        source = render_dag(spec)
    except RenderError as exc:
        raise CliError(f"{args.spec}: cannot render: {exc}") from None
    if args.output is None:
        return Outcome(out=source.rstrip("\n"))
    output = Path(args.output)
    _refuse_dags_folder(output)
    try:
        output.write_text(source, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from None
    return Outcome(err=f"wrote {output}")


def _refuse_dags_folder(output: Path) -> None:
    """Rendering skips validation and the import check: its output must not go live by the back door."""
    from airflow_ai_etl.deploy.local import default_dags_folder

    dags_folder = default_dags_folder().resolve()
    if output.resolve().is_relative_to(dags_folder):
        raise CliError(
            f"refusing to write {output} inside the dags folder {dags_folder}: "
            "use `ai-etl deploy`, which validates and import-checks the file first"
        )


def cmd_deploy(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.deploy import deploy_spec

    spec = _read_spec(args.spec)
    return _deploy_outcome(
        lambda: deploy_spec(
            spec, dags_folder=_folder(args), force=args.force, approve_code=args.approve_code
        ),
        as_json=args.json,
    )


def cmd_rollback(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.deploy import rollback

    return _deploy_outcome(
        lambda: rollback(args.dag_id, dags_folder=_folder(args), force=args.force), as_json=args.json
    )


def _folder(args: argparse.Namespace) -> Path | None:
    return Path(args.dags_folder).absolute() if args.dags_folder else None


def _deploy_outcome(run: Callable[[], Deployment], *, as_json: bool) -> Outcome:
    from airflow_ai_etl.deploy import DeployError

    try:
        deployment = run()
    except DeployError as exc:
        out = ""
        if as_json:
            out = _dump_json(
                {
                    "ok": False,
                    "message": exc.message,
                    "report": exc.report.model_dump(mode="json") if exc.report else None,
                    "import_errors": exc.import_errors,
                }
            )
        raise CliError(exc.details(), out=out) from None
    except OSError as exc:  # e.g. a dags folder this user may not write to
        raise CliError(f"cannot write to the dags folder: {exc}") from None
    if as_json:
        return Outcome(out=deployment.model_dump_json(indent=2))
    warnings = deployment.report.warnings if deployment.report else []
    return Outcome(out=deployment.message, err="\n".join(f"  {w}" for w in warnings))


def cmd_install_system_dag(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.deploy import DeployError
    from airflow_ai_etl.deploy.local import default_dags_folder
    from airflow_ai_etl.deploy.system_dag import install_system_dag

    try:
        installed = install_system_dag(_folder(args) or default_dags_folder())
    except DeployError as exc:
        raise CliError(exc.details()) from None
    except OSError as exc:
        raise CliError(f"cannot write to the dags folder: {exc}") from None
    return Outcome(out=installed.message)


def cmd_catalog(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.catalog import CatalogError, UnknownConnectionError, introspect

    try:
        catalog = introspect(args.conn_id)
    except (UnknownConnectionError, CatalogError) as exc:
        raise CliError(str(exc)) from None
    return Outcome(out=catalog.to_json())


def cmd_doctor(args: argparse.Namespace) -> Outcome:
    """Check the installation; every problem comes with its fix. Exit 1 when any check failed."""
    from dataclasses import asdict

    from airflow_ai_etl.doctor.checks import run_checks

    findings = run_checks()
    code = 0 if all(f.ok for f in findings) else EXIT_REFUSED
    if args.json:
        return Outcome(out=_dump_json([asdict(f) for f in findings]), code=code)
    lines = []
    for finding in findings:
        lines.append(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.check}: {finding.message}")
        if not finding.ok:
            lines.append(f"      fix: {finding.fix}")
    failed = sum(not f.ok for f in findings)
    lines.append(f"{failed} problem(s) found" if failed else "no problems found")
    return Outcome(out="\n".join(lines), code=code)


def _store_engine() -> tuple[Engine, str]:
    """The configured store's engine (not migrated yet) and its URL without a password."""
    from sqlalchemy.engine import make_url

    from airflow_ai_etl.store.engine import StoreNotConfigured, configured_url, make_engine

    try:
        url = configured_url()
    except StoreNotConfigured as exc:
        raise CliError(str(exc)) from None
    return make_engine(url), make_url(url).render_as_string(hide_password=True)


def cmd_db_upgrade(args: argparse.Namespace) -> Outcome:
    """Migrate the store to this package's schema (also done on the store's first use)."""
    from airflow_ai_etl.store.migrate import StoreSchemaError, upgrade

    engine, where = _store_engine()
    try:
        done = upgrade(engine)
    except StoreSchemaError as exc:
        raise CliError(str(exc)) from None
    if done.before == done.after:
        return Outcome(err=f"store {where}: already at revision {done.after}")
    return Outcome(err=f"store {where}: upgraded from revision {done.before or 'none'} to {done.after}")


def cmd_db_downgrade(args: argparse.Namespace) -> Outcome:
    from alembic.util.exc import CommandError

    from airflow_ai_etl.store.migrate import StoreSchemaError, downgrade

    engine, where = _store_engine()
    try:
        downgrade(engine, args.revision)
    except StoreSchemaError as exc:
        raise CliError(f"store {where}: {exc}") from None
    except CommandError as exc:
        raise CliError(f"REVISION {args.revision!r}: {exc}", code=EXIT_USAGE) from None
    return Outcome(err=f"store {where}: downgraded to revision {args.revision}")


def _memory_store() -> Store:
    from sqlalchemy.exc import SQLAlchemyError

    from airflow_ai_etl.store.engine import StoreNotConfigured
    from airflow_ai_etl.store.repository import default_store

    try:
        return default_store()
    except (StoreNotConfigured, SQLAlchemyError) as exc:
        raise CliError(f"the store is not reachable: {exc}") from None


def cmd_memory_search(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.memory.pipelines import open_memory

    if not args.request.strip():
        raise CliError("REQUEST is empty: give the words of a request to search for", code=EXIT_USAGE)
    if args.k < 1:
        raise CliError(f"-k must be at least 1, not {args.k}", code=EXIT_USAGE)
    found = open_memory(_memory_store()).search(args.request, k=args.k, conn_ids=args.conn_ids or None)
    if args.json:
        return Outcome(out=_dump_json([f.to_json() for f in found]))
    if not found:
        return Outcome(err="no approved pipeline in memory matches")
    lines = [
        f"{f.score:.3f}  {f.pipeline.dag_id:<40} {', '.join(f.pipeline.conn_ids)}  "
        f"approved by {f.pipeline.approver} {f.pipeline.approved_at[:16]}\n       {f.pipeline.request}"
        for f in found
    ]
    return Outcome(out="\n".join(lines))


def cmd_memory_rebuild(args: argparse.Namespace) -> Outcome:
    from airflow_ai_etl.memory.pipelines import rebuild_memory

    memory = rebuild_memory(_memory_store())
    return Outcome(
        out=f"pipeline memory rebuilt: {len(memory.entries)} approved pipeline(s), "
        f"{memory.index.kind} index in {memory.directory}"
    )


def _print_event(event: Event) -> None:
    if event.phase == "start":
        print(f"  {event.agent}: {event.message} ...", file=sys.stderr)
        return
    tokens = f" [{event.input_tokens}+{event.output_tokens} tokens]" if event.input_tokens else ""
    print(f"  {event.agent}: {event.message} ({event.duration_ms:.0f} ms){tokens}", file=sys.stderr)


def _admitted_user() -> Subject:
    """The user running the CLI (as the OS names them), admitted by their budget: a spent budget or a
    misconfigured one is a refusal with the message the REST API gives."""
    import getpass

    from airflow_ai_etl.budgets.limiter import BudgetExceeded, Subject, process_budgets
    from airflow_ai_etl.config import ConfigError, check_settings

    user = Subject("user", getpass.getuser())
    try:
        check_settings()
        process_budgets().admit(user)
    except (ConfigError, BudgetExceeded) as exc:
        raise CliError(str(exc)) from None
    return user


def _usage_line(usage: Sequence[AgentUsage]) -> str:
    """Requests, tokens and cost of the whole generation, in one line."""
    requests = sum(u.requests for u in usage)
    failed = sum(u.failed_requests for u in usage)
    tokens_in, tokens_out = sum(u.input_tokens for u in usage), sum(u.output_tokens for u in usage)
    costs = [u.cost_usd for u in usage]
    cost = "unknown" if None in costs else f"${sum(c for c in costs if c is not None):.4f}"
    failures = f" ({failed} failed)" if failed else ""
    return (
        f"model usage: {requests} request(s){failures}, {tokens_in} input + {tokens_out} output tokens, "
        f"cost {cost}"
    )


def _fallback_line(result: GenerationResult, *, deploy: bool, allowed: bool) -> str:
    what = "deployed (--allow-fallback)" if deploy and allowed else "not deployed"
    if not deploy:
        what = "review it before deploying"
    elif not allowed:
        what += " (pass --allow-fallback to deploy a fallback draft)"
    return (
        f"FALLBACK: the model was unavailable ({result.fallback}); the offline planner made this "
        f"draft, not the model: {what}"
    )


def _flagged_line(result: GenerationResult, *, deploy: bool, allowed: bool) -> str:
    """The critics' vote on a flagged draft, and what became of it."""
    assert result.critics is not None
    what = "review it before deploying"
    if deploy:
        what = "deployed (--allow-flagged)" if allowed else "not deployed (pass --allow-flagged to deploy it)"
    verdicts = "; ".join(str(v) for v in result.critics.verdicts)
    return f"CRITICS: {result.critics.summary()} [{verdicts}]: {what}"


def _write_draft(result: GenerationResult, folder: Path) -> list[Path]:
    """<dag_id>.yaml (headed by who planned it) and, when rendered, <dag_id>.py in `folder`."""
    from airflow_ai_etl.spec import dumps_spec

    if result.spec is None:
        return []
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        spec_path = folder / f"{result.spec.dag_id}.yaml"
        header = f"# planned_by: {result.planned_by}\n"
        spec_path.write_text(header + dumps_spec(result.spec), encoding="utf-8")
        written.append(spec_path)
        if result.source is not None:
            dag_path = folder / f"{result.spec.dag_id}.py"
            dag_path.write_text(result.source, encoding="utf-8")
            written.append(dag_path)
    except OSError as exc:
        raise CliError(f"--out {folder}: cannot write the draft: {exc.strerror or exc}") from None
    return written


def cmd_generate(args: argparse.Namespace) -> Outcome:
    """Request -> agents -> draft files in --out; with --deploy, a valid draft goes live.

    A draft the offline planner made because the model was unavailable is written but deployed
    only with --allow-fallback, and exits EXIT_FALLBACK unless that flag accepts it.
    """
    from airflow_ai_etl.agents.events import total_spent
    from airflow_ai_etl.agents.llm_config import LLMChoice
    from airflow_ai_etl.agents.orchestrator import generate
    from airflow_ai_etl.budgets.limiter import process_budgets
    from airflow_ai_etl.deploy import deploy_spec

    if not args.request.strip():
        raise CliError("REQUEST is empty: describe the pipeline in a sentence", code=EXIT_USAGE)
    image = _image(args)
    user = _admitted_user()
    catalogs = _catalogs(args.conn)
    print(f"generating a pipeline over {', '.join(c.conn_id for c in catalogs)}", file=sys.stderr)
    llm = LLMChoice(conn_id=args.llm_conn_id, model=args.model)
    if image is not None:
        from airflow_ai_etl.agents.from_picture import generate_from_picture

        if len(catalogs) != 1:
            raise CliError(
                "--image: give exactly one --conn, the connection to create the tables on", code=EXIT_USAGE
            )
        result = generate_from_picture(
            image, args.request, catalogs[0], dag_id=args.dag_id, llm=llm, on_event=_print_event
        )
    else:
        result = generate(
            args.request, catalogs, dag_id=args.dag_id, llm=llm, on_event=_print_event, offline=args.offline
        )
    tokens, cost = total_spent(result.usage)
    process_budgets().charge(user, tokens=tokens, cost_usd=cost)
    written = _write_draft(result, Path(args.out))
    lines = [f"wrote {p}" for p in written]
    if result.spec is not None:  # without a draft there is nothing the report could speak of
        lines.append(result.report.to_text())
    lines.append(_usage_line(result.usage))
    fallback = result.ok and result.fallback is not None
    flagged = result.ok and result.critics is not None and result.critics.flagged
    held = (fallback and not args.allow_fallback) or (flagged and not args.allow_flagged)
    if result.ok and args.deploy and not held:
        assert result.spec is not None
        spec = result.spec
        publish = lambda: deploy_spec(spec, dags_folder=_folder(args), approve_code=args.approve_code)  # noqa: E731
        lines.append(_deploy_outcome(publish, as_json=False).out)
    elif not result.ok:
        lines.append(f"no valid pipeline: {result.reason}" + (" (nothing deployed)" if args.deploy else ""))
    if flagged:
        lines.append(_flagged_line(result, deploy=args.deploy, allowed=args.allow_flagged))
    if fallback:  # the last line, where a reader or a script looks
        lines.append(_fallback_line(result, deploy=args.deploy, allowed=args.allow_fallback))
    text = "\n".join(lines)
    if args.json:
        summary = result.model_dump(mode="json", exclude={"source"}) | {"files": [str(p) for p in written]}
        out, err = _dump_json(summary), text
    else:
        out, err = text, ""
    if not result.ok:
        raise CliError(text, out=out if args.json else "")
    return Outcome(out=out, err=err, code=EXIT_FALLBACK if held else 0)


def _image(args: argparse.Namespace) -> Image | None:
    """The --image file, checked (PNG/JPEG by its bytes, size) before any connection is opened."""
    from airflow_ai_etl.agents.images import ImageError, read_image_file

    if args.image is None:
        return None
    if args.offline:
        raise CliError("--image needs a vision model; it cannot be used with --offline", code=EXIT_USAGE)
    try:
        return read_image_file(Path(args.image))
    except ImageError as exc:
        raise CliError(f"--image: {exc}", code=EXIT_USAGE) from None


def _catalogs(conn_ids: Sequence[str]) -> list[SchemaCatalog]:
    from airflow_ai_etl.catalog import CatalogError, UnknownConnectionError, introspect

    catalogs = []
    for conn_id in dict.fromkeys(conn_ids):
        try:
            catalogs.append(introspect(conn_id))
        except (UnknownConnectionError, CatalogError) as exc:
            raise CliError(f"--conn {conn_id}: {exc}") from None
    return catalogs


def cmd_cache(args: argparse.Namespace) -> Outcome:
    """`cache check A B`: would A's cached answer serve B; `cache stats`; `cache clear`."""
    from airflow_ai_etl.cache.backends import BackendError
    from airflow_ai_etl.cache.check import compare
    from airflow_ai_etl.cache.model_cache import build_cache
    from airflow_ai_etl.cache.settings import cache_settings
    from airflow_ai_etl.config import ConfigError

    if args.cache_command == "check":
        if not args.request_a.strip() or not args.request_b.strip():
            raise CliError("REQUEST_A and REQUEST_B must not be empty", code=EXIT_USAGE)
        verdict = compare(args.request_a, args.request_b, _catalogs(args.conn))
        if args.json:
            return Outcome(out=_dump_json({"hit": verdict.hit, "tier": verdict.tier, "why": verdict.why}))
        return Outcome(out=verdict.to_text())
    try:
        cache = build_cache(cache_settings())
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    if cache is None:
        raise CliError("the LLM cache is off ([ai_etl] cache_enabled) or its cache_conn_id is unusable")
    try:
        if args.cache_command == "clear":
            return Outcome(out=f"cleared {cache.clear()} entries from the {cache.backend.description}")
        stats = cache.stats()
    except BackendError as exc:
        raise CliError(f"the cache cannot be reached: {exc}") from None
    data = {"backend": stats.backend, "entries": stats.entries, **stats.counts}
    if args.json:
        return Outcome(out=_dump_json(data))
    return Outcome(
        out="\n".join(
            f"{name}: {value:g}" if isinstance(value, float) else f"{name}: {value}"
            for name, value in data.items()
        )
    )


def _table_row(values: Sequence[object], widths: Iterable[int]) -> str:
    """Columns of `abs(width)` characters, left-aligned where the width is negative."""
    return " ".join(
        f"{value!s:<{-w}}" if w < 0 else f"{value!s:>{w}}" for value, w in zip(values, widths, strict=True)
    )


def cmd_usage(args: argparse.Namespace) -> Outcome:
    """Model calls, tokens, cost and cache savings per DAG version, and each DAG's total."""
    from airflow_ai_etl.store import default_store
    from airflow_ai_etl.store.engine import StoreNotConfigured
    from airflow_ai_etl.store.ledger import ledger_totals, usage_ledger

    try:
        lines = usage_ledger(default_store(), [args.dag_id] if args.dag_id else None)
    except StoreNotConfigured as exc:
        raise CliError(str(exc)) from None
    if args.dag_id and not lines:
        raise CliError(f"no usage is recorded for DAG {args.dag_id!r}: no draft of it was generated here")
    totals = ledger_totals(lines)
    if args.json:
        data = [vars(line) for line in lines] + [vars(total) for total in totals.values()]
        return Outcome(out=_dump_json(data))
    widths = {"DAG": -40, "version": 7, "calls": 6, "tokens": 10, "cost USD": 10}
    widths |= {"cache hits": 10, "saved tokens": 12, "saved USD": 10}
    rows = [_table_row(list(widths), widths.values())]
    for line in [*lines, *totals.values()]:
        values = [
            line.dag_id,
            "total" if line.version is None else line.version,
            line.calls,
            line.input_tokens + line.output_tokens,
            "unknown" if line.cost_usd is None else f"{line.cost_usd:.4f}",
            line.cache_hits,
            line.saved_tokens,
            f"{line.saved_cost_usd:.4f}",
        ]
        rows.append(_table_row(values, widths.values()))
    return Outcome(out="\n".join(rows) if lines else "no model usage is recorded yet")


def cmd_telemetry(args: argparse.Namespace) -> Outcome:
    """Model cost per pipeline and the slowest steps, from the telemetry tables in ClickHouse."""
    from airflow_ai_etl.config import config_str
    from airflow_ai_etl.hooks.clickhouse import ClickHouseHook
    from airflow_ai_etl.observability.summaries import pipeline_costs, slowest_steps

    if args.days < 1 or args.limit < 1:
        raise CliError("--days and --limit must be 1 or more", code=EXIT_USAGE)
    conn_id = config_str("telemetry_conn_id")
    if conn_id is None:
        raise CliError(
            "[ai_etl] telemetry_conn_id is not set: name the clickhouse connection telemetry goes to"
        )
    try:
        client = ClickHouseHook(clickhouse_conn_id=conn_id).get_client()
        try:
            costs = pipeline_costs(client, days=args.days)
            steps = slowest_steps(client, days=args.days, limit=args.limit)
        finally:
            client.close()
    except Exception as exc:  # missing connection, ClickHouse down or refusing: one line, no traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CliError(f"cannot read telemetry from connection {conn_id!r}: {first}") from None
    if args.json:
        return Outcome(
            out=_dump_json(
                {"pipeline_costs": [vars(c) for c in costs], "slowest_steps": [vars(s) for s in steps]}
            )
        )
    cost_widths = {"DAG": -40, "generations": 11, "calls": 6, "cache hits": 10, "tokens": 10, "cost USD": 10}
    lines = [
        f"Model cost per pipeline, last {args.days} day(s):",
        _table_row(list(cost_widths), cost_widths.values()),
    ]
    for c in costs:
        cost = f"{c.cost_usd:.4f}" + (f" (+{c.unpriced_calls} unpriced)" if c.unpriced_calls else "")
        values = [c.dag_id or "(no spec)", c.generations, c.calls, c.cache_hits, c.tokens, cost]
        lines.append(_table_row(values, cost_widths.values()))
    if not costs:
        lines.append("no model calls recorded")
    step_widths = {"step": -50, "runs": 5, "failed": 6, "p95 s": 9, "max s": 9, "rows": 12}
    lines += [
        "",
        f"Slowest steps (p95), last {args.days} day(s):",
        _table_row(list(step_widths), step_widths.values()),
    ]
    for s in steps:
        values = [f"{s.dag_id}.{s.task_id}", s.runs, s.failures, f"{s.p95_s:.2f}", f"{s.max_s:.2f}", s.rows]
        lines.append(_table_row(values, step_widths.values()))
    if not steps:
        lines.append("no task runs recorded")
    return Outcome(out="\n".join(lines))


def _add_cache_and_usage_commands(commands: Any, conn_help: str) -> None:
    cache = commands.add_parser("cache", help="the LLM cache: check two requests, show stats, clear it")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True, metavar="SUBCOMMAND")
    check = cache_commands.add_parser(
        "check", help="would an answer cached for REQUEST_A be served for REQUEST_B? (hit/miss, then why)"
    )
    check.add_argument("request_a", metavar="REQUEST_A")
    check.add_argument("request_b", metavar="REQUEST_B")
    check.add_argument("--conn", metavar="CONN_ID", action="append", required=True, help=conn_help)
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    stats = cache_commands.add_parser("stats", help="entries, hits per tier, misses, saved tokens and cost")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    cache_commands.add_parser("clear", help="drop every entry and counter of the cache")
    cache.set_defaults(handler=cmd_cache)

    usage = commands.add_parser(
        "usage", help="model calls, tokens, cost and cache savings per DAG and version"
    )
    usage.add_argument("dag_id", metavar="DAG_ID", nargs="?", help="only this DAG (default: every DAG)")
    usage.add_argument("--json", action="store_true", help="print the ledger as JSON")
    usage.set_defaults(handler=cmd_usage)

    telemetry = commands.add_parser(
        "telemetry", help="model cost per pipeline and the slowest steps, from ClickHouse telemetry"
    )
    telemetry.add_argument("--days", type=int, default=7, help="look back this many days (default 7)")
    telemetry.add_argument("--limit", type=int, default=20, help="how many slowest steps (default 20)")
    telemetry.add_argument("--json", action="store_true", help="print the summaries as JSON")
    telemetry.set_defaults(handler=cmd_telemetry)


def _add_memory_commands(commands: Any) -> None:
    memory = commands.add_parser("memory", help="search or rebuild the memory of approved pipelines")
    memory_commands = memory.add_subparsers(dest="memory_command", required=True, metavar="SUBCOMMAND")
    search = memory_commands.add_parser("search", help="the approved pipelines nearest to a request")
    search.add_argument("request", metavar="REQUEST")
    search.add_argument("-k", type=int, default=5, help="how many (default 5)")
    search.add_argument(
        "--conn-id", dest="conn_ids", action="append", metavar="CONN_ID", help="only over these connections"
    )
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=cmd_memory_search)
    memory_commands.add_parser("rebuild", help="rebuild the index from the store").set_defaults(
        handler=cmd_memory_rebuild
    )


APPROVE_CODE_HELP = "you have read the spec's Python transform code and approve deploying it"


def _add_generate_command(commands: Any, folder_help: str) -> str:
    """`ai-etl generate`; returns the help text of --conn, which other commands share."""
    generate = commands.add_parser(
        "generate", help="turn a plain-language request into a validated spec and DAG file"
    )
    generate.add_argument("request", metavar="REQUEST", help="what the pipeline should do, in words")
    conn_help = "a connection the pipeline may read from or load into (repeat for each)"
    generate.add_argument("--conn", metavar="CONN_ID", action="append", required=True, help=conn_help)
    generate.add_argument("--out", metavar="DIR", default=".", help="where to write <dag_id>.yaml/.py")
    generate.add_argument("--dag-id", metavar="DAG_ID", help="dag_id of the pipeline (default: derived)")
    generate.add_argument("--deploy", action="store_true", help="deploy the draft when it is valid")
    generate.add_argument("--approve-code", action="store_true", help=APPROVE_CODE_HELP)
    generate.add_argument(
        "--image",
        metavar="FILE",
        help="an ER diagram (PNG or JPEG): a vision model reads its tables, and the draft creates them "
        "on the one --conn",
    )
    generate.add_argument("--dags-folder", metavar="DIR", help=folder_help)
    generate.add_argument("--offline", action="store_true", help="use the offline planner, no model")
    generate.add_argument(
        "--allow-fallback",
        action="store_true",
        help="accept a draft the offline planner made because the model was unavailable: exit 0, "
        f"and deploy it with --deploy (default: exit {EXIT_FALLBACK}, not deployed)",
    )
    generate.add_argument(
        "--allow-flagged",
        action="store_true",
        help="accept a draft the critics flagged (below [ai_etl] critic_agreement): exit 0, and deploy "
        f"it with --deploy (default: exit {EXIT_FALLBACK}, not deployed)",
    )
    generate.add_argument("--llm-conn-id", metavar="CONN_ID", help="pydanticai connection for every agent")
    generate.add_argument("--model", metavar="MODEL", help="model id, e.g. openai:gpt-5")
    generate.add_argument("--json", action="store_true", help="print the result as JSON")
    generate.set_defaults(handler=cmd_generate)
    return conn_help


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-etl", description="Validate, render and deploy airflow-ai-etl pipeline specs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    spec = commands.add_parser("spec", help="the pipeline spec format")
    spec_commands = spec.add_subparsers(dest="spec_command", required=True, metavar="SUBCOMMAND")
    spec_commands.add_parser("schema", help="print the JSON schema of PipelineSpec").set_defaults(
        handler=cmd_spec_schema
    )

    validate = commands.add_parser("validate", help="validate a spec against Airflow's connections")
    validate.add_argument("spec", metavar="SPEC", help="spec file (.yaml or .json)")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.set_defaults(handler=cmd_validate)

    render = commands.add_parser("render", help="print (or write) the DAG file a spec renders to")
    render.add_argument("spec", metavar="SPEC", help="spec file (.yaml or .json)")
    render.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    render.set_defaults(handler=cmd_render)

    folder_help = "dags folder to deploy into (default: Airflow's [core] dags_folder)"
    force_help = "replace a generated file that was edited by hand (never a foreign file)"
    deploy = commands.add_parser("deploy", help="validate, import-check and publish a spec's DAG file")
    deploy.add_argument("spec", metavar="SPEC", help="spec file (.yaml or .json)")
    deploy.add_argument("--dags-folder", metavar="DIR", help=folder_help)
    deploy.add_argument("--json", action="store_true", help="print the result as JSON")
    deploy.add_argument("--force", action="store_true", help=force_help)
    deploy.add_argument("--approve-code", action="store_true", help=APPROVE_CODE_HELP)
    deploy.set_defaults(handler=cmd_deploy)

    rollback = commands.add_parser("rollback", help="make the previously live version of a DAG live again")
    rollback.add_argument("dag_id", metavar="DAG_ID")
    rollback.add_argument("--dags-folder", metavar="DIR", help=folder_help)
    rollback.add_argument("--json", action="store_true", help="print the result as JSON")
    rollback.add_argument("--force", action="store_true", help=force_help)
    rollback.set_defaults(handler=cmd_rollback)

    conn_help = _add_generate_command(commands, folder_help)

    add_eval_command(commands)

    _add_cache_and_usage_commands(commands, conn_help)

    system_dag = commands.add_parser(
        "install-system-dag", help="install the DAG ai_etl_generate that the UI and REST API trigger"
    )
    system_dag.add_argument("--dags-folder", metavar="DIR", help=folder_help)
    system_dag.set_defaults(handler=cmd_install_system_dag)

    doctor = commands.add_parser("doctor", help="check this installation and print a fix for every problem")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(handler=cmd_doctor)
    _add_memory_commands(commands)

    catalog = commands.add_parser("catalog", help="print the schema catalog of a connection as JSON")
    catalog.add_argument("conn_id", metavar="CONN_ID")
    catalog.set_defaults(handler=cmd_catalog)
    _add_db_command(commands)
    return parser


def resolve_connections_like_the_api_server() -> None:
    """Make the Task SDK look in the metadata database too, after secrets backends and the environment.

    Outside a task or an Airflow server the Task SDK reads connections from environment variables
    and secrets backends only; most teams keep them in the metadata database (`airflow connections
    add`). Airflow's own `airflow connections get` declares itself a server process the same way.
    """
    os.environ["_AIRFLOW_PROCESS_CONTEXT"] = "server"


def _add_db_command(commands: Any) -> None:
    db = commands.add_parser("db", help="the store's schema (its ai_etl_ tables)")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    db_commands.add_parser("upgrade", help="migrate the store to this package's schema").set_defaults(
        handler=cmd_db_upgrade
    )
    db_downgrade = db_commands.add_parser("downgrade", help="undo migrations (refused: restore a backup)")
    db_downgrade.add_argument("revision", metavar="REVISION", help="the revision to go back to")
    db_downgrade.set_defaults(handler=cmd_db_downgrade)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    resolve_connections_like_the_api_server()
    if args.command == "eval":  # prints its own per-case progress and results
        return run_eval_command(args)
    handler: Callable[[argparse.Namespace], Outcome] = args.handler
    try:
        # Airflow logs to stdout; keep stdout for the command's result (JSON must stay parseable).
        with contextlib.redirect_stdout(sys.stderr):
            outcome = handler(args)
    except CliError as exc:
        if exc.out:
            print(exc.out)
        print(f"ai-etl {args.command}: {exc.message}", file=sys.stderr)
        return exc.code
    if outcome.out:
        print(outcome.out)
    if outcome.err:
        print(outcome.err, file=sys.stderr)
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
