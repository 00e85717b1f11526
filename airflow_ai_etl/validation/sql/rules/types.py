"""Rule: every operator, function call and cast has an overload that takes its arguments, and
conditions are boolean (PostgreSQL, whose catalogue carries the type system).

`sum(boolean)`, `text = integer`, `date LIKE '2024%'`, `round(double precision, integer)`,
`text - text`, `integer AND integer`, `CAST(date AS integer)` and `amount > 'abc'` all fail in
PostgreSQL before a row is read. Types are inferred by inference.py; where an argument's type is
not known the call is not judged on it.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, walk_in_scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.functions import UNKNOWN
from airflow_ai_etl.validation.sql.inference import OPERATORS, TypeInference, literal_fits
from airflow_ai_etl.validation.sql.overloads import resolve_operator
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog

_CONDITION_HINT = "compare it, e.g. `x > 0` or `x IS NOT NULL`"


def _shown(type_name: str | None) -> str:
    return "unknown" if type_name in (None, UNKNOWN) else str(type_name)


def _conditions(node: exp.Expr) -> list[tuple[exp.Expr, str]]:
    """Sub-expressions PostgreSQL requires to be boolean, with the clause that requires it."""
    if isinstance(node, exp.Where | exp.Having):
        return [(node.this, node.key.upper())]
    if isinstance(node, exp.Join) and node.args.get("on") is not None:
        return [(node.args["on"], "JOIN ... ON")]
    if isinstance(node, exp.And | exp.Or):
        return [(node.this, node.key.upper()), (node.expression, node.key.upper())]
    if isinstance(node, exp.Not):
        return [(node.this, "NOT")]
    if isinstance(node, exp.If):
        return [(node.this, "CASE WHEN")]
    return []


def _comparisons(node: exp.Expr) -> list[exp.Binary]:
    """BETWEEN and IN (list) as the comparisons PostgreSQL makes of them."""
    if isinstance(node, exp.Between):
        return [
            exp.GTE(this=node.this, expression=node.args["low"]),
            exp.LTE(this=node.this, expression=node.args["high"]),
        ]
    if isinstance(node, exp.In) and node.expressions and not node.args.get("query"):
        return [exp.EQ(this=node.this, expression=value) for value in node.expressions]
    return []


def _subquery_findings(node: exp.In, infer: TypeInference) -> Iterator[Finding]:
    """`x IN (SELECT y ...)` compares x = y."""
    query = node.args.get("query")
    if query is None:
        return
    left, right = infer.type_of(node.this), infer.subquery_type(query)
    if left in (None, UNKNOWN) or right in (None, UNKNOWN):
        return
    candidates = infer.functions.operators.get("=", ())
    if not any(
        infer.functions.coercible(str(left), c[0]) and infer.functions.coercible(str(right), c[1])
        for c in candidates
        if c[0]
    ):
        yield error(
            "sql.type_mismatch",
            f"operator does not exist: {left} = {right} (in {node.sql('postgres')})",
            "compare values of compatible types, or cast one side",
        )


def _literal_findings(node: exp.Binary, infer: TypeInference) -> Iterator[Finding]:
    """A string literal compared with a typed value is read as that type: it must fit."""
    for literal, other in ((node.expression, node.this), (node.this, node.expression)):
        if isinstance(literal, exp.Literal) and literal.is_string:
            other_type = infer.type_of(other)
            if other_type not in (None, UNKNOWN) and not literal_fits(literal.this, str(other_type)):
                yield error(
                    "sql.type_mismatch",
                    f"{literal.sql('postgres')} is not a valid {other_type} value "
                    f"(compared with {other.sql('postgres')})",
                    f"write a {other_type} literal",
                )


def _quantified_findings(node: exp.Binary, infer: TypeInference) -> Iterator[Finding]:
    """`x = ANY(array)` compares x with the array's elements."""
    quantified = node.expression
    if not isinstance(quantified, exp.Any | exp.All) or isinstance(quantified.this, exp.Subquery | exp.Query):
        return
    array = infer.type_of(quantified.this)
    if array in (None, UNKNOWN):
        return
    element = infer.functions.types.get(str(array), {}).get("elem")
    if infer.functions.category(str(array)) != "A" or not element:
        yield error(
            "sql.type_mismatch",
            f"{quantified.key.upper()} needs an array on the right side, not {array} "
            f"(in {node.sql('postgres')})",
            "use IN (...) for a list of values",
        )
        return
    left = infer.type_of(node.this)
    resolution = resolve_operator(infer.functions, OPERATORS[type(node)], left, str(element))
    if left not in (None, UNKNOWN) and not resolution.possible:
        symbol = OPERATORS[type(node)]
        yield error(
            "sql.type_mismatch",
            f"operator does not exist: {left} {symbol} {element} (in {node.sql('postgres')})",
            "compare values of the array's element type",
        )


def _operator_findings(node: exp.Binary, infer: TypeInference) -> Iterator[Finding]:
    if isinstance(node.expression, exp.Any | exp.All):
        yield from _quantified_findings(node, infer)
        return
    if infer.operator(node).possible:
        yield from _literal_findings(node, infer)
        return
    left, right = _shown(infer.type_of(node.this)), _shown(infer.type_of(node.expression))
    symbol = OPERATORS[type(node)].replace("~~*", "ILIKE").replace("~~", "LIKE")
    yield error(
        "sql.type_mismatch",
        f"operator does not exist: {left} {symbol} {right} (in {node.sql('postgres')})",
        "cast one side so that both have compatible types",
    )


def _function_findings(node: exp.Func, infer: TypeInference) -> Iterator[Finding]:
    if infer.function(node).possible:
        return
    named = infer.arguments(node)
    if isinstance(node, exp.Extract):
        name, types = "extract", ["text", _shown(infer.type_of(node.expression))]
    elif named is not None:
        name, types = named[0], [_shown(infer.type_of(a)) for a in named[1]]
    else:
        return
    yield error(
        "sql.type_mismatch",
        f"function {name}({', '.join(types)}) does not exist (in {node.sql('postgres')})",
        "no overload takes these argument types; add an explicit cast",
    )


def _choice_findings(node: exp.Expr, infer: TypeInference) -> Iterator[Finding]:
    """CASE and COALESCE bring their values to one type: not across categories, and a string
    literal among them must read as that type."""
    branches = infer.branches(node)
    types = [infer.type_of(b) for b in branches]
    what = "COALESCE" if isinstance(node, exp.Coalesce) else "CASE"
    mismatch = infer.mismatch(types)
    if mismatch is not None:
        yield error(
            "sql.type_mismatch",
            f"{what} types {mismatch[0]} and {mismatch[1]} cannot be matched (in {node.sql('postgres')})",
            "cast the values to one type",
        )
        return
    known = {t for t in types if t not in (None, UNKNOWN)}
    if len(known) == 1 and None not in types:
        common = known.pop()
        for branch in branches:
            if (
                isinstance(branch, exp.Literal)
                and branch.is_string
                and not literal_fits(branch.this, str(common))
            ):
                yield error(
                    "sql.type_mismatch", f"{branch.sql('postgres')} is not a valid {common} value (in {what})"
                )


def _cast_findings(node: exp.Cast, infer: TypeInference) -> Iterator[Finding]:
    source, target = infer.type_of(node.this), infer.type_of(node)
    if source is None or target is None:
        return
    if isinstance(node.this, exp.Literal) and node.this.is_string:
        if not literal_fits(node.this.this, target):
            yield error("sql.type_mismatch", f"{node.this.sql('postgres')} is not a valid {target} value")
        return
    simple = all(infer.functions.category(t) not in (None, "A", "C", "P", "X") for t in (source, target))
    if simple and not infer.functions.castable(source, target):
        yield error("sql.type_mismatch", f"cannot cast type {source} to {target} (in {node.sql('postgres')})")


def type_errors(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    functions = catalog.functions
    if functions is None or not functions.operators:
        return  # only PostgreSQL's catalogue carries operators, casts and types
    infer = TypeInference(scope, catalog.schema, functions, catalog.sql)
    for node in walk_in_scope(scope.expression):
        for condition, clause in _conditions(node):
            if (
                isinstance(condition, exp.Literal)
                and condition.is_string
                and not literal_fits(condition.this, "bool")
            ):
                yield error(
                    "sql.type_mismatch", f"{condition.sql('postgres')} is not a valid bool value ({clause})"
                )
            found = infer.type_of(condition)
            if found not in (None, UNKNOWN, "bool"):
                yield error(
                    "sql.type_mismatch",
                    f"argument of {clause} must be boolean, not {found} (in {condition.sql('postgres')})",
                    _CONDITION_HINT,
                )
        for comparison in _comparisons(node):
            yield from _operator_findings(comparison, infer)
        if isinstance(node, exp.In):
            yield from _subquery_findings(node, infer)
        if isinstance(node, exp.Case | exp.Coalesce):
            yield from _choice_findings(node, infer)
        if type(node) in OPERATORS and isinstance(node, exp.Binary):
            yield from _operator_findings(node, infer)
        elif isinstance(node, exp.Cast):
            yield from _cast_findings(node, infer)
        elif isinstance(node, exp.Func):
            yield from _function_findings(node, infer)
