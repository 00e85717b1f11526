"""What the rules know about the database a statement runs on."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlglot
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.validation.sql.functions import FunctionCatalogue, function_catalogue


@dataclass(frozen=True)
class RuleCatalog:
    """The statement's text and dialect, the connection's schema catalog and the dialect's
    built-in functions (None for a dialect without a catalogue: function rules are skipped)."""

    sql: str
    dialect: str | None
    schema: SchemaCatalog
    functions: FunctionCatalogue | None

    @classmethod
    def build(cls, sql: str, dialect: str | None, schema: SchemaCatalog) -> RuleCatalog:
        return cls(sql=sql, dialect=dialect, schema=schema, functions=function_catalogue(dialect))

    @property
    def normalization(self) -> NormalizationStrategy:
        """How the dialect folds unquoted identifiers."""
        return Dialect.get_or_raise(self.dialect).normalization_strategy

    @functools.cached_property
    def tokens(self) -> list[Token]:
        """The statement's tokens as written (empty if sqlglot cannot tokenize it), read once."""
        try:
            return list(sqlglot.tokenize(self.sql, read=self.dialect))
        except SqlglotError:
            return []

    def is_user_function(self, name: str) -> bool:
        return bool(self.schema.find_functions(name))
