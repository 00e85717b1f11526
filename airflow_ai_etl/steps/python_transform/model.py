"""The spec model of a `python_transform` step: rows of a source, through one pure Python
function over a pyarrow RecordBatch, appended to a target table.

The code is data here like every other field: nothing parses it as Python at model time beyond
the size limit. The AST allowlist runs in validation (`validation/python_transform.py`), the
code runs only in the sandbox of a worker (`transforms/sandbox.py`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from airflow_ai_etl.spec.base import StepBase, StrictModel, TransferSource, TransferTarget
from airflow_ai_etl.transforms.checker import MAX_CODE_CHARS

#: Rows of one example, input or expected: column name -> JSON value.
Rows = list[dict[str, Any]]

FunctionName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,63}$"),
    Field(description="Name of the one function the code defines."),
]


class TransformExample(StrictModel):
    """A unit example: these input rows must give exactly these rows (in this order)."""

    input: Rows = Field(min_length=1, max_length=100)
    expected: Rows = Field(max_length=100)


class PythonTransformStep(StepBase):
    """Read rows from a source, pass each batch through `code`'s function, append them to a table."""

    kind: Literal["python_transform"]
    source: TransferSource
    target: TransferTarget
    function: FunctionName = "transform"
    code: str = Field(
        min_length=1,
        max_length=MAX_CODE_CHARS,
        description="Python source: imports from [ai_etl] python_transform_imports and one function "
        "`function(batch: pyarrow.RecordBatch) -> pyarrow.RecordBatch`; nothing else.",
    )
    examples: list[TransformExample] = Field(
        default_factory=list,
        max_length=20,
        description="Input rows -> expected rows; run in the sandbox before the draft is offered.",
    )
    batch_size: int = Field(default=10_000, ge=1, le=1_000_000)
