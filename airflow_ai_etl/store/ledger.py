"""The usage ledger: model calls, tokens, cost and LLM-cache savings rolled up per DAG and version.

A version is a draft version of the DAG (every generation or edit of it); what generating it
spent is in `ai_etl_usage`, what the cache saved in `ai_etl_usage_saving`. A DAG's cost is
unknown (None) when any of its calls was made on a model without a price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import and_, case, func, literal, null, select, union_all

from airflow_ai_etl.store.models import DraftRow, UsageRow, UsageSavingRow
from airflow_ai_etl.store.repository import Store


@dataclass
class LedgerLine:
    dag_id: str
    version: int | None  # None: the DAG's total over its versions
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    cache_hits: int = 0
    saved_tokens: int = 0
    saved_cost_usd: float = 0.0

    def add(self, other: LedgerLine) -> None:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd = (
            None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        )
        self.cache_hits += other.cache_hits
        self.saved_tokens += other.saved_tokens
        self.saved_cost_usd += other.saved_cost_usd


def usage_ledger(store: Store, dag_ids: Iterable[str] | None = None) -> list[LedgerLine]:
    """One line per (DAG, version) that used a model or the cache, by dag_id then version."""
    wanted = list(dag_ids) if dag_ids is not None else None
    # Both sums in one statement (a union of the two groupings): one round trip per page poll.
    spent = (
        select(
            literal("spent").label("kind"),
            DraftRow.dag_id,
            DraftRow.version,
            func.sum(UsageRow.requests),
            func.sum(UsageRow.input_tokens),
            func.sum(UsageRow.output_tokens),
            func.sum(UsageRow.cost_usd),
            # rows of calls made on a model without a price (a row of cache hits only has no calls)
            func.sum(case((and_(UsageRow.cost_usd.is_(None), UsageRow.requests > 0), 1), else_=0)),
        )
        .join(DraftRow, DraftRow.id == UsageRow.draft_id)
        .where(DraftRow.dag_id.is_not(None))
        .group_by(DraftRow.dag_id, DraftRow.version)
    )
    saved = (
        select(
            literal("saved").label("kind"),
            DraftRow.dag_id,
            DraftRow.version,
            func.sum(UsageSavingRow.cache_hits),
            func.sum(UsageSavingRow.saved_input_tokens + UsageSavingRow.saved_output_tokens),
            null(),
            func.sum(UsageSavingRow.saved_cost_usd),
            null(),
        )
        .join(DraftRow, DraftRow.id == UsageSavingRow.draft_id)
        .where(DraftRow.dag_id.is_not(None))
        .group_by(DraftRow.dag_id, DraftRow.version)
    )
    if wanted is not None:
        spent, saved = spent.where(DraftRow.dag_id.in_(wanted)), saved.where(DraftRow.dag_id.in_(wanted))
    lines: dict[tuple[str, int], LedgerLine] = {}
    with store.session() as session:
        found = cast("list[tuple[Any, ...]]", session.execute(union_all(spent, saved)).all())
    # what was spent first, then what the cache saved (a version may have only savings)
    for kind, dag_id, version, figure, input_tokens, output_tokens, cost, unpriced in sorted(
        found, key=lambda row: row[0] != "spent"
    ):
        key = (str(dag_id), version)
        if kind == "spent":
            lines[key] = LedgerLine(
                str(dag_id),
                version,
                calls=int(figure or 0),
                input_tokens=int(input_tokens or 0),
                output_tokens=int(output_tokens or 0),
                cost_usd=None if unpriced else float(cost or 0.0),
            )
        else:  # a saving: cache hits, saved tokens and saved cost in the spent columns' places
            line = lines.setdefault(key, LedgerLine(str(dag_id), version))
            line.cache_hits, line.saved_tokens, line.saved_cost_usd = (
                int(figure),
                int(input_tokens),
                float(cost),
            )
    return [lines[key] for key in sorted(lines)]


def ledger_totals(lines: Iterable[LedgerLine]) -> dict[str, LedgerLine]:
    """Each DAG's total over its versions, by dag_id."""
    totals: dict[str, LedgerLine] = {}
    for line in lines:
        totals.setdefault(line.dag_id, LedgerLine(line.dag_id, None)).add(line)
    return totals
