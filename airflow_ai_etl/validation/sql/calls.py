"""Function calls as the SQL text writes them.

sqlglot turns many calls into typed nodes (`YEAR(x)` becomes `exp.Year`, `date_trunc('day', x)`
`exp.TimestampTrunc` with its arguments reordered), which is what transpiling needs but not what
the engine will be asked to run. The name is read back from the text span the parser records, and
the arguments are put back in the order they appear in the text; where that cannot be known the
arguments are None and rules leave the call alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class Call:
    name: str
    #: The arguments in written order; None when the order cannot be recovered from the text.
    args: tuple[exp.Expr, ...] | None


def _start(node: exp.Expr) -> int | None:
    starts = [n.meta["start"] for n in node.walk() if n._meta and "start" in n._meta]
    return min(starts) if starts else None


def _arguments(node: exp.Func, sql: str, start: int) -> tuple[exp.Expr, ...] | None:
    values: list[exp.Expr] = []
    for value in node.args.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, exp.Distinct):
                values += item.expressions
            elif isinstance(item, exp.Expr):
                values.append(item)
    if isinstance(node, exp.Anonymous):
        return tuple(values)
    positioned = [(_start(v) if _start(v) is not None else _found(v, sql, start), v) for v in values]
    if any(position is None for position, _ in positioned):
        return None  # an argument the parser made up (a default): not as written
    return tuple(v for _, v in sorted(positioned, key=lambda p: p[0] or 0))


def _found(value: exp.Expr, sql: str, start: int) -> int | None:
    """Where a keyword the parser kept without a position (`date_trunc('day', x)`'s unit) is
    written: its first spelling after the call's name."""
    if not isinstance(value, exp.Var):
        return None
    position = sql.lower().find(value.name.lower(), start)
    return position if position >= 0 else None


def written_call(node: exp.Func, sql: str) -> Call | None:
    """The call `node` as written in `sql`; None for grammar that is not a named call (CAST, IN,
    `SUBSTRING(x FROM 1)`) or a schema-qualified call (resolved by the database's search path)."""
    if isinstance(node.parent, exp.Dot):
        return None
    meta = node._meta or {}
    if "start" in meta and "end" in meta:
        name = sql[meta["start"] : meta["end"] + 1]
    elif isinstance(node, exp.Anonymous):
        name = node.name
    else:
        return None
    if not _NAME.fullmatch(name):
        return None  # a quoted name or a span that is not a name
    return Call(name, _arguments(node, sql, meta.get("start", 0)))
