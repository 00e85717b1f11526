"""An eval suite: requests with what a good draft of each must look like, read from a YAML file.

    connections: [shop, warehouse]       # Airflow conn ids whose catalogs the requests may use
    sqlite_databases:                    # optional: fresh SQLite files for every case (see below)
      - {conn_id: shop, script: shop_db.py}
      - {conn_id: warehouse}
    cases:
      - name: copy_customers
        request: copy customers into the warehouse every day at 2am
        expect:
          tables: [customers]            # tables the pipeline reads (exact set)
          targets: [customers]           # tables it writes (exact set)
          step_kinds: [sql, transfer]    # kinds of its steps (exact set)
          modes: [replace]               # transfer load modes (exact set)
          checks: [unique]               # quality check names (exact set)
          schedule: "0 2 * * *"          # the spec's schedule, exactly
          rows:                          # after a real `airflow dags test` run of the rendered DAG
            - {conn_id: warehouse, sql: "SELECT COUNT(*) FROM customers", equals: [[60]]}

`sqlite_databases` make rows checks repeatable: each case runs on its own copies, created by
`python SCRIPT PATH` (path relative to the suite file) or empty, and the runner points
AIRFLOW_CONN_<CONN_ID> at them for the case. Without them the cases use the connections as
Airflow defines them, and a rows check writes into those databases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from airflow_ai_etl.spec.io import DocumentError, parse_document, parse_yaml, read_document
from airflow_ai_etl.spec.models import ConnId, DagId, Schedule, SparkWriteMode, StepKind, TransferMode


class SuiteError(DocumentError):
    """A suite file that cannot be read or does not fit; the message names each bad field."""

    kind = "eval suite"


class _Strict(BaseModel):
    """Unknown fields are errors: a misspelt expectation must not pass silently as unchecked."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RowsCheck(_Strict):
    """A query on a connection after the DAG ran, and the rows it must return, in order."""

    conn_id: ConnId
    sql: str = Field(min_length=1, description="Read-only query; add ORDER BY when several rows.")
    equals: list[list[Any]] = Field(description="The exact rows, each a list of column values.")


#: Every mode a step can load with: a transfer's, file load's or Kafka ingest's, or a Spark write's.
LOAD_MODES = tuple(dict.fromkeys(m.value for m in [*TransferMode, *SparkWriteMode]))


def _load_mode(value: str) -> str:
    if value not in LOAD_MODES:
        raise ValueError(f"{value!r} is not a load mode; use one of {', '.join(map(repr, LOAD_MODES))}")
    return value


LoadMode = Annotated[str, AfterValidator(_load_mode)]


class Expectations(_Strict):
    """What the draft must look like; a field left out is not checked (`schedule: null` is checked:
    it expects a DAG without a schedule)."""

    ok: bool = Field(
        default=True, description="Whether generation must succeed (false: the request must be refused)."
    )
    tables: list[str] | None = Field(default=None, description="Tables the pipeline reads (exact set).")
    targets: list[str] | None = Field(default=None, description="Tables the pipeline writes (exact set).")
    step_kinds: list[StepKind] | None = None
    modes: list[LoadMode] | None = Field(
        default=None, description="Load modes of transfers, file loads, Kafka ingests and Spark writes."
    )
    checks: list[str] | None = Field(default=None, description="Quality check names (exact set).")
    schedule: Schedule = None
    rows: list[RowsCheck] = Field(default_factory=list)

    @model_validator(mode="after")
    def _refusal_has_no_draft(self) -> Expectations:
        if not self.ok and self.model_fields_set - {"ok"}:
            raise ValueError("a case expected to be refused (ok: false) cannot expect anything of its draft")
        return self

    @property
    def checks_schedule(self) -> bool:
        return "schedule" in self.model_fields_set


class Case(_Strict):
    name: DagId = Field(description="Also the dag_id of the case's draft.")
    category: str | None = Field(default=None, description="Groups cases in the pass rates by category.")
    request: str = Field(min_length=1)
    connections: list[ConnId] | None = Field(default=None, description="Overrides the suite's connections.")
    expect: Expectations = Field(default_factory=Expectations)


class SqliteDatabase(_Strict):
    conn_id: ConnId
    script: str | None = Field(default=None, description="`python SCRIPT PATH` creates it; empty if unset.")


class Suite(_Strict):
    connections: list[ConnId] = Field(default_factory=list)
    sqlite_databases: list[SqliteDatabase] = Field(default_factory=list)
    cases: list[Case] = Field(min_length=1)
    #: The suite file's folder, against which scripts resolve (set by `load_suite`).
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("cases")
    @classmethod
    def _unique_names(cls, cases: list[Case]) -> list[Case]:
        names = [c.name for c in cases]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"case names must be unique; repeated: {', '.join(duplicates)}")
        return cases

    @model_validator(mode="after")
    def _every_case_has_connections(self) -> Suite:
        for case in self.cases:
            if not (case.connections or self.connections):
                raise ValueError(f"case {case.name} has no connections and the suite names none")
        return self

    def case_connections(self, case: Case) -> list[str]:
        return case.connections or self.connections


def parse_suite(data: Any, source: str = "<suite>", base_dir: Path | None = None) -> Suite:
    """Validate parsed YAML as a Suite, raising SuiteError with each problem's field path."""
    suite = parse_document(Suite, data, source, SuiteError)
    return suite.model_copy(update={"base_dir": base_dir}) if base_dir is not None else suite


def load_suite(path: str | Path) -> Suite:
    """Read a suite file (YAML or JSON)."""
    path = Path(path)
    data = parse_yaml(read_document(path, SuiteError), str(path), SuiteError)
    return parse_suite(data, str(path), base_dir=path.resolve().parent)
