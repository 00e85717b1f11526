"""Columns of related tables: a word that names no column of the source table may name a column of
a table the source references, directly or through other references ("appointments per
specialty" when specialty is a column of doctors and appointments.doctor_id references doctors).

Only to-one paths count: every step follows a foreign key from the referencing table to the
referenced one, so joining adds columns to a source row and never multiplies rows (a copy stays a
copy, a sum stays the sum). The shortest such path wins; two tables at that distance holding the
column, or two paths (two keys to the same table), are a refusal naming the candidates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

from airflow_ai_etl.agents.offline.names import TableRef, resolve_column
from airflow_ai_etl.agents.offline.tables import PlanningError
from airflow_ai_etl.agents.tools.joins import Join, fk_graph
from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table

#: Longest chain of references followed to find a column (source -> parent -> grandparent).
MAX_HOPS = 3


@dataclass(frozen=True)
class JoinStep:
    """One table joined to the one before it: `previous.<left> = this.<right>` for each pair."""

    table: TableRef
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RelatedColumn:
    column: Column
    path: tuple[JoinStep, ...]  # from the source table to the column's table

    def describe(self, source: TableRef) -> str:
        hops = " -> ".join(_step_text(step) for step in self.path)
        return f"{self.column.name} of {self.path[-1].table.label}, joined from {source.name} via {hops}"


@per_catalog
def _references(catalog: SchemaCatalog) -> nx.DiGraph:
    """Tables as nodes, an edge from each table to every table it references (the keys on the edge)."""
    graph = nx.DiGraph()
    for left, right, data in fk_graph(catalog).edges(data=True):
        for join in data["joins"]:
            referencing, referenced = (left, right) if join.left_table == left else (right, left)
            assert join.left_table == referencing  # fk_graph keeps keys as declared
            if graph.has_edge(referencing, referenced):
                graph.edges[referencing, referenced]["joins"].append(join)
            else:
                graph.add_edge(referencing, referenced, joins=[join])
    return graph


def related_column(source: TableRef, word: str) -> RelatedColumn | None:
    """The column `word` names (by spelling) in the nearest table `source` references, or None.

    Raises PlanningError when two tables, or two ways to one table, are equally near."""
    graph = _references(source.catalog)
    start = source.table.qualified_name
    if start not in graph:
        return None
    distances = nx.single_source_shortest_path_length(graph, start, cutoff=MAX_HOPS)
    by_name = {t.qualified_name: t for t in source.catalog.tables}  # the graph's nodes are these names
    found: dict[int, list[tuple[str, Column]]] = {}
    for name, hops in distances.items():
        if hops == 0 or name not in by_name:
            continue
        column = resolve_column(by_name[name], word)
        if column is not None:
            found.setdefault(hops, []).append((name, column))
    if not found:
        return None
    nearest = found[min(found)]
    paths = [
        (name, column, path)
        for name, column in nearest
        for path in _paths(graph, start, name, source.catalog, by_name)
    ]
    if len(paths) > 1:
        shown = "; ".join(
            f"{column.name} of {name} via {' -> '.join(_step_text(step) for step in path)}"
            for name, column, path in paths
        )
        raise PlanningError(
            f"{word!r} is not a column of {source.label} and could be more than one related column: "
            f"{shown}; name the table, e.g. '<table>.<column>'"
        )
    _, column, path = paths[0]
    return RelatedColumn(column, path)


def _paths(
    graph: nx.DiGraph, start: str, end: str, catalog: SchemaCatalog, tables: dict[str, Table]
) -> list[tuple[JoinStep, ...]]:
    """Every shortest to-one path, one per combination of keys (two keys on one hop: two paths)."""
    found = []
    for nodes in nx.all_shortest_paths(graph, start, end):
        hops = [graph.edges[a, b]["joins"] for a, b in itertools.pairwise(nodes)]
        for joins in itertools.product(*hops):
            found.append(tuple(_step(TableRef(catalog, tables[j.right_table]), j) for j in joins))
    return found


def _step(table: TableRef, join: Join) -> JoinStep:
    return JoinStep(table, tuple(zip(join.left_columns, join.right_columns, strict=True)))


def _step_text(step: JoinStep) -> str:
    return f"{step.table.name} on " + ", ".join(f"{a} = {b}" for a, b in step.pairs)
