"""What is known about tables: table-name matching and catalogs extended by tables the spec creates.

Finding code emitted by callers on this module's behalf:

- `schema.unknown` (warning): a connection is defined but its catalog could not be read, so the
  schema checks of steps on it are skipped.

Convention: a catalog table with an empty column list has *unknown* columns (a view the
introspector could not describe, a `CREATE TABLE AS` over an unknown query); column checks skip it
rather than report every column as missing.
"""

from __future__ import annotations

from collections.abc import Iterable

from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import SchemaCatalog, Table


def split_table_name(name: str) -> tuple[str | None, str]:
    """(schema, table) of `table`, `schema.table` or `catalog.schema.table`, lower-cased."""
    parts = name.lower().split(".")
    return (parts[-2] if len(parts) >= 2 else None), parts[-1]


def same_table(first: str, second: str, default_schema: str | None) -> bool:
    """Whether two names denote one table; an unqualified name is in `default_schema`.

    Without a default schema an unqualified name matches the same name in any schema: the
    database's search path is not known here, and a false "different table" would be worse.
    """
    first_schema, first_name = split_table_name(first)
    second_schema, second_name = split_table_name(second)
    if first_name != second_name:
        return False
    default = default_schema.lower() if default_schema else None
    first_schema, second_schema = first_schema or default, second_schema or default
    return first_schema is None or second_schema is None or first_schema == second_schema


def has_columns(table: Table) -> bool:
    """Whether the table's columns are known (see the module's convention)."""
    return bool(table.columns)


def with_tables(catalog: SchemaCatalog, tables: Iterable[Table]) -> SchemaCatalog:
    """The catalog plus tables created by earlier steps; a table the catalog has already wins."""
    extra: list[Table] = []
    for created in tables:
        table = created.model_copy(update={"schema_name": created.schema_name or catalog.default_schema})
        if catalog.find_table(table.qualified_name) is None and table.qualified_name not in {
            t.qualified_name for t in extra
        }:
            extra.append(table)
    if not extra:
        return catalog
    extended = catalog.model_copy(update={"tables": [*catalog.tables, *extra]})
    _origin(extended).append((catalog, extra))
    return extended


@per_catalog
def _origin(catalog: SchemaCatalog) -> list[tuple[SchemaCatalog, list[Table]]]:
    return []


def extension_of(catalog: SchemaCatalog) -> tuple[SchemaCatalog, list[Table]] | None:
    """(catalog, tables added) when `with_tables` made this catalog: what is derived from the
    original (e.g. sqlglot's schema) can then be extended instead of rebuilt."""
    origin = _origin(catalog)
    return origin[0] if origin else None
