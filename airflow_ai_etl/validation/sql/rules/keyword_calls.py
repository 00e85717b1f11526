"""Rule: keywords PostgreSQL reads without parentheses are not called like functions.

`CURRENT_DATE()` and `CURRENT_TIMESTAMP()` are MySQL/Snowflake spellings; PostgreSQL's grammar has
`CURRENT_DATE`, and `CURRENT_TIMESTAMP(precision)` only with a precision. sqlglot reads both the
same way, so the text's tokens are checked as written.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope
from sqlglot.tokenizer_core import TokenType

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog

#: The SQL standard's niladic value functions (CURRENT_DATE, LOCALTIMESTAMP, SESSION_USER, ...).
_NILADIC = ("current_", "localtime", "session_user", "system_user", "user")


def keyword_calls(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    functions = catalog.functions
    if functions is None or functions.dialect != "postgres" or scope.expression is not expression.unnest():
        return
    if "()" not in catalog.sql.replace(" ", ""):
        return
    tokens = catalog.tokens
    for index, token in enumerate(tokens[:-2]):
        word = token.text.lower()
        if (
            tokens[index + 1].token_type is TokenType.L_PAREN
            and tokens[index + 2].token_type is TokenType.R_PAREN
            and word.startswith(_NILADIC)
            and word in functions.grammar_calls
            and not functions.signatures(word)
        ):
            yield error(
                "sql.parse_error",
                f"{token.text}() is not PostgreSQL syntax: {token.text} takes no parentheses",
                f"write {token.text} without ()",
            )
