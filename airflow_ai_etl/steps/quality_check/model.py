"""The spec model of a `quality_check` step and its checks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from airflow_ai_etl.spec.base import ColumnName, ConnId, Sql, StepBase, StrictModel, TableName


class Comparison(StrictModel):
    """Bounds for a numeric check; at least one must be given."""

    equal_to: float | None = None
    greater_than: float | None = None
    geq_to: float | None = None
    less_than: float | None = None
    leq_to: float | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Comparison:
        if all(v is None for v in self.model_dump().values()):
            raise ValueError("give at least one bound: equal_to, greater_than, geq_to, less_than, leq_to")
        return self


class ColumnCheck(StrictModel):
    """A check on one column, run with common-sql's SQLColumnCheckOperator (read-only)."""

    column: ColumnName
    check: Literal["not_null", "unique", "min", "max", "distinct_count"]
    bounds: Comparison | None = Field(default=None, description="Required for min, max, distinct_count.")

    @model_validator(mode="after")
    def _bounds(self) -> ColumnCheck:
        needs = self.check in ("min", "max", "distinct_count")
        if needs and self.bounds is None:
            raise ValueError(f"check {self.check!r} needs 'bounds'")
        if not needs and self.bounds is not None:
            raise ValueError(f"check {self.check!r} takes no 'bounds'")
        return self


class RowCountCheck(StrictModel):
    """The table holds at least (and at most) this many rows."""

    check: Literal["row_count"]
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=0)


class RowCountChangeCheck(StrictModel):
    """Row count compared with the count after the previous successful run of this check."""

    check: Literal["row_count_change"]
    max_drop_pct: float | None = Field(default=None, gt=0, le=100)
    max_growth_pct: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _at_least_one(self) -> RowCountChangeCheck:
        if self.max_drop_pct is None and self.max_growth_pct is None:
            raise ValueError("give max_drop_pct, max_growth_pct or both")
        return self


class ExpressionCheck(StrictModel):
    """A boolean SQL expression over the table that must hold for every row (e.g. 'amount >= 0')."""

    check: Literal["expression"]
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    condition: Annotated[Sql, StringConstraints(max_length=2_000)]


class FreshnessCheck(StrictModel):
    """The newest value of a timestamp or date column is at most `max_age_minutes` old."""

    check: Literal["freshness"]
    column: ColumnName
    max_age_minutes: float = Field(gt=0, le=5_256_000, description="Oldest acceptable age; up to 10 years.")


Check = Annotated[
    ColumnCheck | RowCountCheck | RowCountChangeCheck | ExpressionCheck | FreshnessCheck,
    Field(discriminator="check"),
]


class QualityCheckStep(StepBase):
    """Column and table checks on one table; the task fails, naming the check, when one does not hold."""

    kind: Literal["quality_check"]
    conn_id: ConnId
    table: TableName
    checks: list[Check] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_repeats(self) -> QualityCheckStep:
        """Each check at most once: the check operators key their checks by column and name."""
        seen: set[tuple[str, ...]] = set()
        for check in self.checks:
            if isinstance(check, ColumnCheck):
                identity: tuple[str, ...] = ("column", check.column.lower(), check.check)
                what = f"column {check.column!r} has the check {check.check!r} more than once"
            elif isinstance(check, ExpressionCheck):
                identity = ("expression", check.name)
                what = f"more than one expression check is named {check.name!r}"
            elif isinstance(check, RowCountChangeCheck):
                identity = ("row_count_change",)
                what = "give at most one row_count_change check per step"
            elif isinstance(check, FreshnessCheck):
                identity = ("freshness", check.column.lower())
                what = f"column {check.column!r} has more than one freshness check"
            else:
                continue
            if identity in seen:
                raise ValueError(what)
            seen.add(identity)
        return self
