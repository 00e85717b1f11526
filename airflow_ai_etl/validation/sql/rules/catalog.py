"""What the rules know about the database a statement runs on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

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

    def is_user_function(self, name: str) -> bool:
        return bool(self.schema.find_functions(name))
