"""SchemaCatalog: what a connection holds (tables, columns, keys, sizes), as plain data.

Introspectors fill it; validation and the agents read it. It is JSON-serialisable so that it can be
cached, stored with a draft, and shown in the UI.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CatalogModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(CatalogModel):
    name: str
    type: str = Field(description="The native type as the database names it, e.g. 'numeric(12,2)'.")
    nullable: bool = True
    default: str | None = None
    comment: str | None = None


class ForeignKey(CatalogModel):
    columns: list[str]
    ref_table: str = Field(description="Qualified name of the referenced table.")
    ref_columns: list[str]


class Table(CatalogModel):
    name: str
    schema_name: str | None = Field(default=None, description="Schema (or database) holding the table.")
    kind: str = Field(default="table", description="'table' or 'view' (or another relation kind).")
    columns: list[Column]
    primary_key: list[str] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    row_count: int | None = Field(default=None, description="Approximate; from statistics where possible.")
    comment: str | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_name}.{self.name}" if self.schema_name else self.name

    def column(self, name: str) -> Column | None:
        """The column with this name, compared case-insensitively (unquoted identifiers fold)."""
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)


class SchemaCatalog(CatalogModel):
    conn_id: str
    dialect: str = Field(description="sqlglot dialect name: postgres, sqlite, clickhouse, spark, ...")
    default_schema: str | None = Field(
        default=None, description="Schema an unqualified table name resolves to (e.g. 'public')."
    )
    tables: list[Table] = Field(default_factory=list)

    def fingerprint(self) -> str:
        """sha256 of the structure (everything but row counts, which change on every load)."""
        data = self.model_dump(mode="json")
        for table in data["tables"]:
            table.pop("row_count", None)
        data["tables"].sort(key=lambda t: (t["schema_name"] or "", t["name"]))
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def find_table(self, name: str) -> Table | None:
        """Resolve `table`, `schema.table` or `catalog.schema.table` the way the database would."""
        parts = name.lower().split(".")
        if len(parts) > 2:
            parts = parts[-2:]
        table = parts[-1]
        schema = parts[0] if len(parts) == 2 else (self.default_schema or "").lower() or None
        for candidate in self.tables:
            if candidate.name.lower() != table:
                continue
            if schema is None or (candidate.schema_name or "").lower() == schema:
                return candidate
        return None

    def sqlglot_schema(self) -> dict[str, Any]:
        """`{schema: {table: {column: type}}}` (or `{table: {...}}` without schemas) for sqlglot."""
        nested: dict[str, Any] = {}
        for table in self.tables:
            columns = {c.name: c.type for c in table.columns}
            if table.schema_name:
                nested.setdefault(table.schema_name, {})[table.name] = columns
            else:
                nested[table.name] = columns
        return nested

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)
