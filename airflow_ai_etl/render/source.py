"""What a step kind's render fragment writes into: the DAG body being built, and the names it uses.

Kinds build their operator calls through `DagSource.call`, so the renderer knows which names to
import; they never write Python text themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_ai_etl.render.layout import Call


@dataclass
class DagSource:
    """The names the `with DAG(...)` body uses, and what the kinds' calls need to know of the DAG."""

    used: set[str] = field(default_factory=set)
    dag_id: str = ""  # for defaults derived from it (a kafka_ingest step's consumer group)

    def call(self, func: str, *args: object, split: bool = False, **kwargs: object) -> Call:
        self.used.add(func)
        present = tuple((name, value) for name, value in kwargs.items() if value is not None)
        return Call(func, args, present, split=split)


def number(value: float) -> int | float:
    """1.0 -> 1 for readability; other numbers unchanged."""
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value
