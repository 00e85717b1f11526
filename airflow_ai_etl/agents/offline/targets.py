"""Where a load writes: an existing table when one matches, else a new table in a stated schema.

A target the request names is looked up in the target catalog first qualified, then unqualified in
*any* schema: when exactly one table matches, that table is the target (its columns and types
decide what is loaded). Two or more matches are a question for the user, never a pick. Only when
nothing matches is a table created: in the schema the request names, else the source table's schema
when source and target share a connection, else the connection's default schema.

An existing target takes the source's columns by name: source columns it lacks are left out (and
said), and a target column the source cannot fill must be nullable or have a default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airflow_ai_etl.agents.offline.names import TableRef, find_tables
from airflow_ai_etl.agents.offline.tables import PlanningError
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table


@dataclass(frozen=True)
class ResolvedTarget:
    name: str  # qualified when the catalog has schemas
    table: Table | None  # the existing table, None when it is to be created
    why: str  # for the draft's report


def resolve_target(
    named: str | None, catalog: SchemaCatalog, default_name: str, source: TableRef
) -> ResolvedTarget:
    """The target table for `named` (as the request wrote it) or, when None, for `default_name`.

    An implied name resolves like a named one: a twin created beside an existing table of the same
    name would be exactly the mistake the validator reports (sql.shadows_existing_table).
    """
    wanted = named or default_name
    if "." in wanted:
        table = catalog.find_table(wanted)
        if table is not None:
            return ResolvedTarget(table.qualified_name, table, "exists")
    else:
        matches = [r for r in find_tables(wanted, [catalog]) if r.table.name.lower() == wanted.lower()]
        if len(matches) > 1:
            names = ", ".join(f"{catalog.conn_id}:{r.name}" for r in matches)
            raise PlanningError(
                f"target {wanted!r} matches several existing tables: {names}; name it with its schema"
            )
        if matches:
            return ResolvedTarget(matches[0].name, matches[0].table, "exists")
    if "." in wanted:
        return ResolvedTarget(wanted, None, "created in the schema the request names")
    schema: str | None
    if source.conn_id == catalog.conn_id and source.table.schema_name:
        schema, why = source.table.schema_name, "the source table's schema"
    else:
        schema, why = catalog.default_schema, "the connection's default schema"
    name = f"{schema}.{wanted}" if schema else wanted
    existing = catalog.find_table(name)
    if existing is not None:
        return ResolvedTarget(existing.qualified_name, existing, "exists")
    return ResolvedTarget(name, None, f"created in {why}" if schema else "created")


def mapped_columns(source: TableRef, target: Table, label: str) -> tuple[list[Column], list[str]]:
    """The source columns the existing target has (by name), and notes on what does not map."""
    target_names = {c.name.lower() for c in target.columns}
    source_names = {c.name.lower() for c in source.table.columns}
    kept = [c for c in source.table.columns if c.name.lower() in target_names]
    if not kept:
        raise PlanningError(
            f"the existing target {label} shares no column name with {source.label}; "
            f"its columns: {', '.join(c.name for c in target.columns)}"
        )
    unfilled = [c for c in target.columns if c.name.lower() not in source_names]
    required = [c.name for c in unfilled if not c.nullable and c.default is None]
    if required:
        raise PlanningError(
            f"the existing target {label} needs {', '.join(required)} (NOT NULL, no default), "
            f"which {source.label} does not have"
        )
    notes = []
    dropped = [c.name for c in source.table.columns if c.name.lower() not in target_names]
    if dropped:
        notes.append(
            f"columns of {source.label} that {label} does not have are not loaded: {', '.join(dropped)}"
        )
    if unfilled:
        notes.append(
            f"columns of {label} that {source.label} cannot fill stay empty: "
            f"{', '.join(c.name for c in unfilled)}"
        )
    return kept, notes


def rename_outputs(
    outputs: Sequence[tuple[str, str]], target: Table, label: str, fits: dict[str, set[str]]
) -> dict[str, str]:
    """Output name -> target column name for an aggregate written into an existing table.

    `outputs` are (name, role) pairs; a name the target has maps to itself, any other to the one
    target column left over that fits its role (`fits[role]`: the target columns of a fitting type).
    """
    taken = {name.lower() for name, _ in outputs if target.column(name) is not None}
    mapping: dict[str, str] = {}
    for name, role in outputs:
        column = target.column(name)
        if column is not None:
            mapping[name] = column.name
            continue
        spare = [c for c in target.columns if c.name.lower() not in taken and c.name in fits.get(role, set())]
        if len(spare) != 1:
            shown = ", ".join(c.name for c in spare) or "none of a fitting type"
            raise PlanningError(
                f"the existing target {label} has no column for the {role} {name!r} "
                f"(candidates: {shown}); name the target's column or a new table"
            )
        mapping[name] = spare[0].name
        taken.add(spare[0].name.lower())
    return mapping
