"""Rule: every type a cast names exists (PostgreSQL): built in, or used by the catalog's columns
or functions (user-defined and extension types).

`CAST(x AS String)`, `x::INT64` and `CAST(x AS Nullable(Date))` are other dialects' types; sqlglot
reads them as PostgreSQL's own, so the names are taken from the text's tokens, as written.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope
from sqlglot.tokenizer_core import Token, TokenType

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import did_you_mean, error
from airflow_ai_etl.validation.sql.functions import FunctionCatalogue
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog


def _cast_types(tokens: list[Token]) -> Iterator[int]:
    """The position of the first token of each type named by `::type` or `CAST(... AS type)`."""
    for index, token in enumerate(tokens[:-1]):
        if token.token_type is TokenType.DCOLON:
            yield index + 1
        elif token.text.upper() in ("CAST", "TRY_CAST") and tokens[index + 1].token_type is TokenType.L_PAREN:
            depth = 0
            for position in range(index + 1, len(tokens) - 1):
                kind = tokens[position].token_type
                depth += (kind is TokenType.L_PAREN) - (kind is TokenType.R_PAREN)
                if depth == 0:
                    break
                if depth == 1 and kind is TokenType.ALIAS:
                    yield position + 1
                    break


def _known_words(functions: FunctionCatalogue, catalog: RuleCatalog) -> set[str]:
    words = {name.split()[0] for name in functions.type_aliases} | set(functions.types)
    for table in catalog.schema.tables:
        words |= {c.type.split("(")[0].split()[0].lower() for c in table.columns if c.type}
    for function in catalog.schema.functions:
        words |= {
            t.split("(")[0].split()[0].lower() for t in [*function.argument_types, function.return_type] if t
        }
    return words


def unknown_type_names(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    functions = catalog.functions
    if functions is None or not functions.types or scope.expression is not expression.unnest():
        return  # once per statement, and only where the catalogue lists the types
    if "::" not in catalog.sql and "cast" not in catalog.sql.lower():
        return
    tokens = catalog.tokens
    known = _known_words(functions, catalog)
    for position in _cast_types(tokens):
        token = tokens[position]
        if position + 1 < len(tokens) and tokens[position + 1].token_type is TokenType.DOT:
            continue  # schema-qualified: a user-defined type
        word = token.text.split()[0]
        name = word if token.token_type is TokenType.IDENTIFIER else word.lower()  # quoted keeps case
        if name.strip('"') in known or name.rstrip("[]") in known:
            continue
        yield error(
            "sql.unknown_type",
            f"type {token.text} does not exist in {functions.engine}",
            did_you_mean(name, sorted(functions.type_aliases)) or "cast to a type the database has",
        )
