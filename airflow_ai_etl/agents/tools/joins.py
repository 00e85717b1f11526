"""Foreign keys as a graph: how two tables of one catalog join, by the shortest chain of keys."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import SchemaCatalog


@dataclass(frozen=True)
class Join:
    """`left_table.left_columns = right_table.right_columns`, one foreign key walked in either direction."""

    left_table: str
    left_columns: tuple[str, ...]
    right_table: str
    right_columns: tuple[str, ...]

    def condition(self) -> str:
        pairs = zip(self.left_columns, self.right_columns, strict=True)
        return " AND ".join(f"{self.left_table}.{a} = {self.right_table}.{b}" for a, b in pairs)


def _resolver(catalog: SchemaCatalog) -> Callable[[str], str | None]:
    """`find_table` by dictionary: the qualified name a reference resolves to, or None.

    `SchemaCatalog.find_table` scans every table; resolving each foreign key of a 1,000-table
    catalog that way is quadratic.
    """
    qualified = {t.qualified_name.lower(): t.qualified_name for t in catalog.tables}
    by_name: dict[str, str] = {}
    for table in catalog.tables:
        by_name.setdefault(table.name.lower(), table.qualified_name)
    default = (catalog.default_schema or "").lower()

    def resolve(reference: str) -> str | None:
        parts = reference.lower().split(".")[-2:]
        if len(parts) == 2:
            return qualified.get(".".join(parts))
        if default:
            return qualified.get(f"{default}.{parts[0]}") or qualified.get(parts[0])
        return by_name.get(parts[0])

    return resolve


@per_catalog
def fk_graph(catalog: SchemaCatalog) -> nx.Graph:
    """Undirected graph of tables (qualified names); each edge keeps the foreign keys behind it.

    References to tables outside the catalog and self-references (manager_id) are left out: neither
    helps join two different tables of the catalog.
    """
    graph = nx.Graph()
    graph.add_nodes_from(t.qualified_name for t in catalog.tables)
    resolve = _resolver(catalog)
    for table in catalog.tables:
        for fk in table.foreign_keys:
            ref = resolve(fk.ref_table)
            if ref is None or ref == table.qualified_name:
                continue
            join = Join(table.qualified_name, tuple(fk.columns), ref, tuple(fk.ref_columns))
            edge = graph.get_edge_data(table.qualified_name, ref)
            if edge is None:
                graph.add_edge(table.qualified_name, ref, joins=[join])
            else:
                edge["joins"].append(join)
    return graph


def _oriented(join: Join, left: str) -> Join:
    if join.left_table == left:
        return join
    return Join(join.right_table, join.right_columns, join.left_table, join.left_columns)


def join_path(catalog: SchemaCatalog, from_table: str, to_table: str) -> list[Join] | None:
    """The joins of a shortest foreign-key path between two tables, in walking order.

    None when the tables are not connected; [] for a table and itself. Raises KeyError naming a
    table the catalog does not hold.
    """
    ends = []
    for name in (from_table, to_table):
        table = catalog.find_table(name)
        if table is None:
            raise KeyError(name)
        ends.append(table.qualified_name)
    graph = fk_graph(catalog)
    try:
        nodes = nx.shortest_path(graph, ends[0], ends[1])
    except nx.NetworkXNoPath:
        return None
    return [
        _oriented(graph.edges[left, right]["joins"][0], left) for left, right in itertools.pairwise(nodes)
    ]
