"""Every metric name the package's code sends is declared in `METRICS` and listed in the README's
table, and every name listed there is one the code sends: found by reading the code (AST), so a
metric added with a bare `Stats.incr(...)` or a computed name cannot slip past the table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from airflow_ai_etl.observability.metrics import METRICS

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "airflow_ai_etl"
#: Methods of Airflow's Stats (StatsD, Datadog and OpenTelemetry loggers alike) that send a metric.
STATS_METHODS = {"incr", "decr", "gauge", "timing", "timer"}
#: The one function of observability/metrics.py every typed emitter goes through.
EMIT = "_emit"


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def emitted_names(root: Path) -> tuple[set[str], list[str]]:
    """(metric names sent under `root`, places whose name is not a literal the test can read)."""
    names: set[str] = set()
    unreadable: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        # `_emit` itself sends the name it is given: its callers are what is checked.
        inside_emit = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name == EMIT
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args or id(node) in inside_emit:
                continue
            callee = _callee(node)
            if callee != EMIT and callee not in STATS_METHODS:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if callee == EMIT or first.value.startswith("ai_etl."):
                    names.add(first.value)
            elif callee == EMIT or (isinstance(node.func, ast.Attribute) and _on_stats(node.func)):
                unreadable.append(f"{path.relative_to(root)}:{node.lineno}")
    return names, unreadable


def _on_stats(func: ast.Attribute) -> bool:
    """`Stats.incr(...)`, `stats.gauge(...)`, `self._stats.timing(...)`: a metric sent directly."""
    owner = func.value
    name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
    return "stats" in name.lower()


def readme_names() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `(ai_etl\.[a-z_.]+)` \|", readme, flags=re.MULTILINE)


def test_every_metric_the_code_sends_is_declared_and_in_the_readme_and_no_other() -> None:
    sent, unreadable = emitted_names(PACKAGE)
    assert not unreadable, f"metric names must be literals (so they can be checked): {unreadable}"
    listed = readme_names()
    assert len(listed) == len(set(listed)), "the README lists a metric twice"
    assert sent - set(listed) == set(), "sent by the code but missing from the README's metrics table"
    assert set(listed) - sent == set(), "in the README's metrics table but sent nowhere in the code"
    assert sent == set(METRICS), "METRICS (observability/metrics.py) and the code disagree"


def test_the_scan_sees_direct_stats_calls_and_refuses_computed_names(tmp_path: Path) -> None:
    (tmp_path / "module.py").write_text(
        "from airflow.sdk.observability.stats import Stats\n"
        "def sent(kind, count):\n"
        "    Stats.incr('ai_etl.things.seen', count)\n"
        "    self._stats.gauge('ai_etl.things.level', 3)\n"
        "    counter.incr(kind)\n"  # some other object's incr: not a metric
        "    self._stats.incr(f'ai_etl.events.{kind}', count)\n"
    )
    names, unreadable = emitted_names(tmp_path)
    assert names == {"ai_etl.things.seen", "ai_etl.things.level"}
    assert [place.rsplit(":", 1)[1] for place in unreadable] == ["6"]
