"""The registry of step kinds: the one list generic code iterates over.

Adding a kind: a folder `steps/<kind>/` (`model.py`, `kind.py`), its model in `spec.models`'s
`AnyStep` union, and one line in `BUILT_IN` below. Kinds from elsewhere (a plugin, a test) call
`register`. Every kind is checked when it is registered: a duplicate name, a missing capability,
a model whose `kind` is not the kind's name, or an import name already taken by another module
fails at once with a `KindError` naming the kind and what is wrong.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_ai_etl.spec import models as spec_models
from airflow_ai_etl.spec.base import StepBase
from airflow_ai_etl.steps.base import Kind, StepFile, TableUse
from airflow_ai_etl.steps.file_export.kind import FileExportKind
from airflow_ai_etl.steps.file_load.kind import FileLoadKind
from airflow_ai_etl.steps.kafka_ingest.kind import KafkaIngestKind
from airflow_ai_etl.steps.python_transform.kind import PythonTransformKind
from airflow_ai_etl.steps.quality_check.kind import QualityCheckKind
from airflow_ai_etl.steps.spark_sql.kind import SparkSqlKind
from airflow_ai_etl.steps.sql.kind import SqlKind
from airflow_ai_etl.steps.transfer.kind import TransferKind

#: The kinds this package ships, in the order of the spec's `Step` union.
BUILT_IN: tuple[type[Kind[Any]], ...] = (
    SqlKind,
    TransferKind,
    QualityCheckKind,
    FileLoadKind,
    FileExportKind,
    KafkaIngestKind,
    SparkSqlKind,
    PythonTransformKind,
)


class KindError(TypeError):
    """A step kind that cannot be registered; the message names the kind and the problem."""


_kinds: dict[str, Kind[Any]] = {}


def _model_kind(model: type[StepBase]) -> str | None:
    """The value of the model's `kind: Literal[...]` field, or None when it has no such field."""
    field = model.model_fields.get("kind")
    args = typing.get_args(field.annotation) if field is not None else ()
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def _problems(kind: type[Kind[Any]], taken: Mapping[str, Kind[Any]]) -> list[str]:
    name = getattr(kind, "name", None)
    if not isinstance(name, str) or not name:
        return ["it has no `name`"]
    problems = []
    if name in taken:
        problems.append(f"the name is already registered (by {type(taken[name]).__name__})")
    missing = sorted(getattr(kind, "__abstractmethods__", ()))
    missing += [attr for attr in ("model", "imports") if not hasattr(kind, attr)]
    if missing:
        problems.append(f"it is missing the capabilities {', '.join(missing)}")
    model = getattr(kind, "model", None)
    if model is not None:
        if not (inspect.isclass(model) and issubclass(model, StepBase)):
            problems.append(f"its model {model!r} is not a StepBase subclass")
        elif _model_kind(model) != name:
            problems.append(f"its model {model.__name__} does not declare `kind: Literal[{name!r}]`")
    ours = imports()
    for func, module in getattr(kind, "imports", {}).items():
        if ours.get(func, module) != module:
            problems.append(f"it imports {func} from {module}, already imported from {ours[func]}")
    return problems


def _add(kind: type[Kind[Any]]) -> None:
    problems = _problems(kind, _kinds)
    if problems:
        name = getattr(kind, "name", kind.__name__)
        raise KindError(f"step kind {name!r} ({kind.__name__}) cannot be registered: {'; '.join(problems)}")
    _kinds[kind.name] = kind()


def register(kind: type[Kind[Any]]) -> None:
    """Add a kind beyond the built-in ones: the spec accepts its steps from now on."""
    _add(kind)
    spec_models.use_step_models([k.model for k in _kinds.values()])


def unregister(name: str) -> None:
    """Remove a kind added with `register` (the built-in kinds stay)."""
    if name in {k.name for k in BUILT_IN}:
        raise KindError(f"step kind {name!r} is built in and cannot be unregistered")
    if _kinds.pop(name, None) is None:
        raise KindError(f"step kind {name!r} is not registered")
    spec_models.use_step_models([k.model for k in _kinds.values()])


def kinds() -> tuple[Kind[Any], ...]:
    return tuple(_kinds.values())


def kind_of(step: StepBase) -> Kind[Any]:
    """The kind of a step (KindError for a model no registered kind owns)."""
    name = getattr(step, "kind", None)
    kind = _kinds.get(name) if isinstance(name, str) else None
    if kind is None or not isinstance(step, kind.model):
        raise KindError(f"step {step.id!r} is of no registered kind ({type(step).__name__})")
    return kind


def table_uses(steps: Iterable[StepBase], dialects: Mapping[str, str]) -> list[TableUse]:
    """What each step reads, writes and creates, in step order, without catalogs."""
    return [kind_of(step).tables(step, dialects) for step in steps]


def step_files(steps: Iterable[StepBase], dag_id: str) -> list[StepFile]:
    """The files the steps ship beside their DAG file (transform modules), in step order."""
    return [file for step in steps for file in kind_of(step).files(step, dag_id)]


def imports() -> dict[str, str]:
    """Every name a registered kind's render fragment may use -> its module."""
    return {func: module for kind in _kinds.values() for func, module in kind.imports.items()}


def _check_union() -> None:
    """The built-in kinds are exactly the spec's `Step` union and `StepKind` values, in order."""
    union = [str(_model_kind(m)) for m in typing.get_args(spec_models.AnyStep)]
    names = [k.name for k in BUILT_IN]
    enum = [k.value for k in spec_models.StepKind]
    if union != names or enum != names:
        differ = sorted(set(union) ^ set(names) | set(enum) ^ set(names))
        raise KindError(
            f"step kinds {', '.join(differ) or '(their order)'}: the registry (steps.registry.BUILT_IN), "
            "the spec's AnyStep union and StepKind must list the same kinds in the same order"
        )


for _kind in BUILT_IN:
    _add(_kind)
_check_union()
