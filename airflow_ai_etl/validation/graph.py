"""Dependency-graph checks: every step can run, in an order that respects the data it shares.

Finding codes:
- `graph.duplicate_id` (error) - two steps share an id (Airflow task ids are unique).
- `graph.unknown_dependency` (error) - `depends_on` names a step that does not exist.
- `graph.cycle` (error) - steps depend on each other in a circle (one finding per cycle).
- `graph.unreachable` (error) - a step that can never run because it depends, directly or
  transitively, on a step with an unknown dependency or on a cycle.
- `graph.missing_dependency` (warning) - a step reads a table that another step writes, and
  neither depends on the other, so Airflow may run them in either order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from airflow_ai_etl.spec.models import AnyStep
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import same_table, split_table_name


@dataclass(frozen=True)
class TableAccess:
    """A step reading or writing a table on a connection."""

    step_id: str
    conn_id: str
    table: str
    writes: bool


def dependency_graph(steps: Sequence[AnyStep]) -> nx.DiGraph:
    """Edges run from a step to the steps that depend on it; unknown dependencies are left out."""
    graph = nx.DiGraph()
    graph.add_nodes_from(step.id for step in steps)
    for step in steps:
        graph.add_edges_from((dep, step.id) for dep in step.depends_on if dep in graph)
    return graph


def check_graph(steps: Sequence[AnyStep]) -> list[Finding]:
    findings: list[Finding] = []
    order = {step.id: index for index, step in reversed(list(enumerate(steps)))}
    seen: set[str] = set()
    for step in steps:
        if step.id in seen:
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="graph.duplicate_id",
                    message=f"step id {step.id} is used by more than one step",
                    step_id=step.id,
                    field="id",
                    hint="give every step its own id",
                )
            )
        seen.add(step.id)

    graph = dependency_graph(steps)
    broken: set[str] = set()
    for step in steps:
        unknown = [dep for dep in step.depends_on if dep not in order]
        if unknown:
            broken.add(step.id)
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="graph.unknown_dependency",
                    message=f"step {step.id} depends on {', '.join(unknown)}, which is not a step",
                    step_id=step.id,
                    field="depends_on",
                    hint=f"steps are: {', '.join(order)}",
                )
            )
    cycles = [
        sorted(component, key=order.__getitem__)
        for component in nx.strongly_connected_components(graph)
        if len(component) > 1 or graph.has_edge(next(iter(component)), next(iter(component)))
    ]
    for members in sorted(cycles, key=lambda m: order[m[0]]):
        broken.update(members)
        findings.append(
            Finding(
                severity=Severity.ERROR,
                code="graph.cycle",
                message=f"steps {' -> '.join([*members, members[0]])} depend on each other in a cycle",
                step_id=members[0],
                field="depends_on",
                hint="remove one of the dependencies",
            )
        )
    unreachable: set[str] = set()
    for step_id in broken:
        unreachable |= nx.descendants(graph, step_id)
    for step_id in sorted(unreachable - broken, key=order.__getitem__):
        findings.append(
            Finding(
                severity=Severity.ERROR,
                code="graph.unreachable",
                message=f"step {step_id} can never run: it depends on a step with an unknown dependency "
                "or on a cycle",
                step_id=step_id,
                field="depends_on",
            )
        )
    return findings


def check_table_order(
    steps: Sequence[AnyStep],
    accesses: Sequence[TableAccess],
    default_schemas: Mapping[str, str | None],
) -> list[Finding]:
    """Warn where a reader and a writer of one table are not ordered by dependencies."""
    graph = dependency_graph(steps)
    findings: dict[tuple[str, str], Finding] = {}
    # Writers by connection and bare table name: a reader is compared only with writers that may
    # name its table, so the check stays linear in the number of steps.
    writers: dict[tuple[str, str], list[TableAccess]] = defaultdict(list)
    for access in accesses:
        if access.writes:
            writers[(access.conn_id, split_table_name(access.table)[1])].append(access)
    for read in (a for a in accesses if not a.writes):
        for write in writers[(read.conn_id, split_table_name(read.table)[1])]:
            if (
                write.step_id == read.step_id
                or write.conn_id != read.conn_id
                or (read.step_id, write.step_id) in findings
                or not same_table(read.table, write.table, default_schemas.get(read.conn_id))
                or nx.has_path(graph, write.step_id, read.step_id)
                or nx.has_path(graph, read.step_id, write.step_id)
            ):
                continue
            findings[(read.step_id, write.step_id)] = Finding(
                severity=Severity.WARNING,
                code="graph.missing_dependency",
                message=f"step {read.step_id} reads {read.table}, which step {write.step_id} writes, "
                f"but does not depend on {write.step_id}",
                step_id=read.step_id,
                field="depends_on",
                hint=f"add {write.step_id} to depends_on",
            )
    return list(findings.values())
