"""Rule: a query's clauses come in PostgreSQL's order, and ORDER BY / LIMIT close a set operation.

`... LIMIT 10 HAVING count(*) > 1` and `SELECT ... ORDER BY a UNION SELECT ...` are syntax
errors in PostgreSQL; sqlglot reads them anyway (and reorders them when it writes SQL back), so
the clause keywords are checked in the text's tokens, per parenthesis level.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope
from sqlglot.tokenizer_core import TokenType

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog

#: The order of a SELECT's clauses (equal ranks may come in either order: OFFSET 5 LIMIT 10).
_RANK = {
    TokenType.WHERE: 1,
    TokenType.GROUP_BY: 2,
    TokenType.HAVING: 3,
    TokenType.WINDOW: 4,
    TokenType.ORDER_BY: 5,
    TokenType.LIMIT: 6,
    TokenType.OFFSET: 6,
    TokenType.FETCH: 6,
}
_SET_OPERATIONS = (TokenType.UNION, TokenType.INTERSECT, TokenType.EXCEPT)


def clause_order(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    functions = catalog.functions
    if functions is None or functions.dialect != "postgres" or scope.expression is not expression.unnest():
        return  # once per statement; other engines' grammars differ (ClickHouse's LIMIT ... BY)
    levels: list[tuple[int, str]] = [(0, "")]  # per open parenthesis: the last clause's rank and name
    for token in catalog.tokens:
        kind = token.token_type
        if kind is TokenType.L_PAREN:
            levels.append((0, ""))
        elif kind is TokenType.R_PAREN and len(levels) > 1:
            levels.pop()
        elif kind is TokenType.SELECT:
            levels[-1] = (0, "")
        elif kind in _SET_OPERATIONS:
            rank, name = levels[-1]
            if rank >= _RANK[TokenType.ORDER_BY]:
                yield error(
                    "sql.parse_error",
                    f"{name} before {token.text.upper()} is not PostgreSQL syntax",
                    f"put the query with {name} in parentheses, or move {name} after the last query",
                )
            levels[-1] = (0, "")
        elif kind in _RANK:
            rank, name = levels[-1]
            if _RANK[kind] < rank:
                yield error(
                    "sql.parse_error",
                    f"{token.text.upper()} after {name} is not PostgreSQL syntax",
                    "write the clauses in the order WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT",
                )
            levels[-1] = (max(rank, _RANK[kind]), token.text.upper() if _RANK[kind] >= rank else name)
