"""PostgreSQL's types over an expression tree: what each expression is.

Types come from the catalog's columns, literals, casts and the result types of calls resolved by
overloads.py. A type that cannot be known is None, and a call with an argument of unknown type is
never declared impossible on that argument's account.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.validation.sql.calls import written_call
from airflow_ai_etl.validation.sql.functions import UNKNOWN, FunctionCatalogue
from airflow_ai_etl.validation.sql.overloads import Resolution, resolve_function, resolve_operator
from airflow_ai_etl.validation.sql.tables import table_name

#: sqlglot binary nodes and the PostgreSQL operator each one is written as.
OPERATORS: dict[type[exp.Expr], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.Like: "~~",
    exp.ILike: "~~*",
    exp.DPipe: "||",
}
_BOOLEAN_RESULTS = (exp.Predicate, exp.Connector, exp.Not, exp.Exists, exp.Is, exp.Boolean)
_INT4 = 2**31
_INT8 = 2**63
#: How PostgreSQL reads a string literal as a value of these types (else: invalid input syntax).
_LITERAL_SYNTAX = {
    "int2": re.compile(r"\s*[+-]?\d+\s*"),
    "int4": re.compile(r"\s*[+-]?\d+\s*"),
    "int8": re.compile(r"\s*[+-]?\d+\s*"),
    "numeric": re.compile(r"(?i)\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|nan|[+-]?infinity)\s*"),
    "float4": re.compile(r"(?i)\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|nan|[+-]?inf(inity)?)\s*"),
    "float8": re.compile(r"(?i)\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|nan|[+-]?inf(inity)?)\s*"),
    "bool": re.compile(r"(?i)\s*(t(r(ue?)?)?|f(a(l(se?)?)?)?|y(es?)?|no?|on|of?f?|1|0)\s*"),
}


def literal_fits(text: str, type_name: str) -> bool:
    """Whether PostgreSQL reads the string literal as a value of the type (unchecked types: yes)."""
    syntax = _LITERAL_SYNTAX.get(type_name)
    return syntax is None or syntax.fullmatch(text) is not None


class TypeInference:
    """Types of expressions in one scope of a qualified query (PostgreSQL)."""

    def __init__(self, scope: Scope, schema: SchemaCatalog, functions: FunctionCatalogue, sql: str) -> None:
        self.scope, self.schema, self.functions, self.sql = scope, schema, functions, sql
        self._types: dict[int, str | None] = {}

    # --- expressions ------------------------------------------------------------------------------

    def type_of(self, node: exp.Expr) -> str | None:
        key = id(node)
        if key not in self._types:
            self._types[key] = self._infer(node)
        return self._types[key]

    def _infer(self, node: exp.Expr) -> str | None:
        if isinstance(node, exp.Paren | exp.Alias):
            return self.type_of(node.this)
        if isinstance(node, exp.Literal):
            return UNKNOWN if node.is_string else self._number(node.this)
        if isinstance(node, exp.Null | exp.Var):
            return UNKNOWN  # a Var is a keyword sqlglot made of a string literal ('day')
        if isinstance(node, exp.Any | exp.All):
            return None  # `= ANY(array)` compares with the elements: not a value of its own
        if isinstance(node, _BOOLEAN_RESULTS):
            return "bool"
        if isinstance(node, exp.Cast):
            return self.functions.type_name(node.to.sql("postgres"))
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Interval):
            return "interval"
        if isinstance(node, exp.CurrentDate):
            return "date"
        if isinstance(node, exp.CurrentTimestamp):
            return "timestamptz"
        if isinstance(node, exp.Case | exp.Coalesce):
            return self._common(self.branches(node))
        if isinstance(node, exp.Window):
            return self.type_of(node.this)
        if type(node) in OPERATORS and isinstance(node, exp.Binary):
            return self.operator(node).returns
        if isinstance(node, exp.Func):
            return self.function(node).returns
        return None

    def _number(self, text: str) -> str:
        if re.fullmatch(r"\d+", text):
            value = int(text)
            return "int4" if value < _INT4 else "int8" if value < _INT8 else "numeric"
        return "numeric"

    def _column(self, column: exp.Column) -> str | None:
        scope: Scope | None = self.scope
        source = None
        while scope is not None and column.table and source is None:  # correlated: an outer scope's
            source = scope.sources.get(column.table)
            scope = scope.parent
        if isinstance(source, exp.Table):
            table = self.schema.find_table(table_name(source))
            found = table.column(column.name) if table is not None else None
            return self.functions.type_name(found.type) if found is not None and found.type else None
        if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
            for projection in source.expression.selects:
                if projection.alias_or_name == column.name:
                    return TypeInference(source, self.schema, self.functions, self.sql).type_of(projection)
        return None

    def subquery_type(self, query: exp.Expr) -> str | None:
        """The type of a one-column subquery's column (`x IN (SELECT y ...)`)."""
        target = query.unnest() if isinstance(query, exp.Subquery) else query
        for child in self.scope.subquery_scopes:
            if child.expression is target and isinstance(target, exp.Select) and len(target.selects) == 1:
                return TypeInference(child, self.schema, self.functions, self.sql).type_of(target.selects[0])
        return None

    def output_types(self) -> list[str | None] | None:
        """The types of the scope's output columns (a set operation's are its first query's)."""
        query = self.scope.expression
        if isinstance(query, exp.SetOperation) and self.scope.set_operation_scopes:
            first = TypeInference(self.scope.set_operation_scopes[0], self.schema, self.functions, self.sql)
            return first.output_types()
        if isinstance(query, exp.Select):
            return [self.type_of(p) for p in query.selects]
        return None

    def mismatch(self, types: list[str | None]) -> tuple[str, str] | None:
        """Two known types PostgreSQL cannot bring to a common type (different categories)."""
        known = [t for t in types if t not in (None, UNKNOWN)]
        categories = {self.functions.category(self._base(t)) for t in known if t is not None}
        if None in categories or len(categories) < 2:
            return None
        first = known[0]
        other = next(
            t
            for t in known
            if self.functions.category(self._base(t)) != self.functions.category(self._base(first))
        )
        return str(first), str(other)

    def _base(self, type_name: str | None) -> str:
        base = self.functions.types.get(type_name or "", {}).get("base")
        return str(base or type_name)

    def branches(self, node: exp.Expr) -> list[exp.Expr]:
        """The values a CASE or COALESCE chooses between."""
        if isinstance(node, exp.Coalesce):
            return [node.this, *node.expressions]
        branches = [when.args["true"] for when in node.args.get("ifs") or []]
        return [*branches, node.args["default"]] if node.args.get("default") is not None else branches

    def _common(self, branches: list[exp.Expr]) -> str | None:
        types = {self.type_of(b) for b in branches} - {UNKNOWN}
        return types.pop() if len(types) == 1 and None not in types else None

    # --- calls --------------------------------------------------------------------------------

    def operator(self, node: exp.Binary) -> Resolution:
        left, right = self.type_of(node.this), self.type_of(node.expression)
        return resolve_operator(self.functions, OPERATORS[type(node)], left, right)

    def arguments(self, node: exp.Func) -> tuple[str, tuple[exp.Expr, ...]] | None:
        """The written name and arguments of a call whose arguments are all plain values."""
        call = written_call(node, self.sql)
        if call is None or call.args is None:
            return None
        if any(
            isinstance(a, exp.Order | exp.Ordered | exp.Star | exp.Kwarg | exp.PropertyEQ) for a in call.args
        ):
            return None
        if node.find_ancestor(exp.WithinGroup) is not None or isinstance(node.parent, exp.WithinGroup):
            return None
        return call.name.lower(), call.args

    def function(self, node: exp.Func) -> Resolution:
        if isinstance(node, exp.Extract):  # EXTRACT(field FROM x) is extract(text, x) since PostgreSQL 14
            return resolve_function(self.functions, "extract", (UNKNOWN, self.type_of(node.expression)))
        named = self.arguments(node)
        if named is None or self.schema.find_functions(named[0]):
            return Resolution(True)
        name, args = named
        if not self.functions.signatures(name):
            type_name = self.functions.type_name(name)  # `date(x)`: a cast written as a call
            return Resolution(True, type_name if len(args) == 1 else None)
        return resolve_function(self.functions, name, tuple(self.type_of(a) for a in args))
