"""What a step kind is: the capabilities every kind provides, and the small types they return.

The generic code (validation, rendering, diagrams, eval expectations, the SQL expert and the QA
agent) asks a step's `Kind` instead of testing the step's class, so a kind is complete the moment
its class implements every abstract method here; `steps.registry` refuses one that does not.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, TypeVar

from airflow_ai_etl.spec.base import StepBase

if TYPE_CHECKING:
    from airflow_ai_etl.catalog.models import SchemaCatalog, Table
    from airflow_ai_etl.render.layout import Call
    from airflow_ai_etl.render.source import DagSource
    from airflow_ai_etl.validation.context import ValidationContext
    from airflow_ai_etl.validation.report import Finding

S = TypeVar("S", bound=StepBase)

#: (conn id, table name as the spec or the SQL writes it)
TableRef = tuple[str, str]


@dataclass(frozen=True)
class StepSql:
    """One SQL text of a step: where it is (`field` as validation findings name it) and where it runs."""

    step_id: str
    field: str
    conn_id: str
    sql: str


@dataclass(frozen=True)
class TableUse:
    """The tables a step reads and writes, and those it creates (with their columns and key)."""

    reads: Sequence[TableRef] = ()
    writes: Sequence[TableRef] = ()
    created: Sequence[tuple[str, Table]] = ()


@dataclass(frozen=True)
class Outside:
    """A file or a Kafka topic a step reads or writes (its tables are in `TableUse`)."""

    kind: Literal["file", "topic"]
    #: The path (a file, a prefix or a glob; local or s3://) or the topic.
    name: str
    #: The storage or Kafka connection, when there is one.
    conn_id: str | None = None


@dataclass(frozen=True)
class DataFlow:
    """What a step moves beyond its tables, for lineage: the files and topics it reads and writes,
    and whether each column it writes is the field of the same name in what it reads
    (`copies_by_name`: loads, ingests, table copies). `columns` are those fields when the spec
    names them; otherwise they are the columns of the table at one end, as a catalog knows them."""

    reads: Sequence[Outside] = ()
    writes: Sequence[Outside] = ()
    copies_by_name: bool = False
    columns: Sequence[str] | None = None
    #: Code changes the rows between the step's SQL and what it writes: the SQL's column lineage
    #: stops at the code (the columns written are the code's, not the query's).
    through_code: bool = False


@dataclass(frozen=True)
class StepCheck:
    """What validating one step found, and the tables it reads, writes and creates (for later steps)."""

    findings: Sequence[Finding] = ()
    use: TableUse = field(default_factory=TableUse)


@dataclass(frozen=True)
class Checking:
    """What a kind's validation works against: the context, and catalogs that already hold the
    tables earlier steps create."""

    context: ValidationContext
    catalog: Callable[[str], SchemaCatalog | None]

    def dialect(self, conn_id: str) -> str:
        return self.context.dialect(conn_id)


@dataclass(frozen=True)
class EvalFacts:
    """What an eval case can expect of one step beyond its tables: load modes and check names."""

    modes: Sequence[str] = ()
    checks: Sequence[str] = ()


@dataclass(frozen=True)
class StepFile:
    """A file a step ships beside its DAG file: `path` relative to the DAG file's folder.

    `is_code`: it holds code that runs (sandboxed) in a worker, so deploying it needs a person's
    explicit approval of that code.
    """

    step_id: str
    path: str
    text: str
    sha256: str
    is_code: bool = False


class Kind(ABC, Generic[S]):
    """Everything the package knows about one step kind; `name` is the spec's `kind` value."""

    name: ClassVar[str]
    model: ClassVar[type[StepBase]]
    #: Names the render fragment calls -> the module the DAG file imports them from.
    imports: ClassVar[Mapping[str, str]]

    @abstractmethod
    def connections(self, step: S) -> list[tuple[str, str]]:
        """(field, conn id) of every connection the step uses."""

    @abstractmethod
    def check(self, step: S, checking: Checking) -> StepCheck:
        """Validate the step against the catalogs (its connections are known to exist)."""

    @abstractmethod
    def summary(self, step: S) -> str:
        """The task's doc_md when the step has no description."""

    @abstractmethod
    def task_calls(self, step: S, src: DagSource, doc_md: str) -> list[Call]:
        """The operator calls of the step: one is the task itself; several form a TaskGroup."""

    @abstractmethod
    def tables(self, step: S, dialects: Mapping[str, str]) -> TableUse:
        """The tables the step reads and writes, without catalogs (for diagrams and eval facts)."""

    @abstractmethod
    def eval_facts(self, step: S) -> EvalFacts:
        """Load modes and check names an eval case may expect of the step."""

    @abstractmethod
    def sql_fields(self, step: S) -> list[StepSql]:
        """The SQL the SQL expert may write and repair."""

    @abstractmethod
    def set_sql(self, step: S, field: str, sql: str) -> None:
        """Replace the SQL of one of `sql_fields` (KeyError for any other field)."""

    @abstractmethod
    def read_queries(self, step: S, context: ValidationContext) -> list[StepSql]:
        """The read queries the step will run on its sources, for the QA agent's dry run."""

    def files(self, step: S, dag_id: str) -> list[StepFile]:
        """Files the step ships beside the DAG file (most kinds: none)."""
        return []

    def data_flow(self, step: S) -> DataFlow:
        """The files and topics the step moves rows between (most kinds: only tables, and their
        column lineage, if any, comes from their SQL)."""
        return DataFlow()


def not_a_sql_field(step_id: str, field: str) -> KeyError:
    """The error `set_sql` raises for a field that holds no SQL the expert may write."""
    return KeyError(f"{step_id}.{field} is not a SQL field")


class KindWithoutSql(Kind[S]):
    """A kind whose steps hold no SQL for the SQL expert and run no read query worth a dry run."""

    def sql_fields(self, step: S) -> list[StepSql]:
        return []

    def set_sql(self, step: S, field: str, sql: str) -> None:
        raise not_a_sql_field(step.id, field)

    def read_queries(self, step: S, context: ValidationContext) -> list[StepSql]:
        return []
