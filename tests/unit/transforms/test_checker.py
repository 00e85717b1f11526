"""The AST allowlist: a pure function over a RecordBatch passes; every way out is named by line."""

from __future__ import annotations

import pytest

from airflow_ai_etl.transforms.checker import DEFAULT_IMPORTS, check_code

GOOD = '''"""Split the JSON payload into columns."""
import json

import pyarrow as pa
import pyarrow.compute as pc


def transform(batch):
    payloads = [json.loads(p) for p in batch.column("payload").to_pylist()]
    amounts = pa.array([p.get("amount") for p in payloads], pa.float64())
    return batch.append_column("amount", pc.round(amounts, 2))
'''


def test_a_pure_function_over_allowed_modules_passes() -> None:
    assert check_code(GOOD, "transform") == []


@pytest.mark.parametrize(
    ("code", "line", "construct"),
    [
        ("import os\n\ndef transform(batch):\n    return batch\n", 1, "import os"),
        ("def transform(batch):\n    import subprocess\n    return batch\n", 2, "import subprocess"),
        ("from pyarrow import fs\n\ndef transform(batch):\n    return batch\n", 1, "from pyarrow import fs"),
        ("def transform(batch):\n    return open('/etc/passwd').read()\n", 2, "name `open`"),
        ("def transform(batch):\n    return eval('1')\n", 2, "name `eval`"),
        ("def transform(batch):\n    exec('x = 1')\n    return batch\n", 2, "name `exec`"),
        ("def transform(batch):\n    return __import__('os')\n", 2, "name `__import__`"),
        ("def transform(batch):\n    return getattr(batch, 'x')\n", 2, "name `getattr`"),
        ("def transform(batch):\n    return globals()\n", 2, "name `globals`"),
        ("def transform(batch):\n    return ().__class__.__bases__\n", 2, "attribute `.__bases__`"),
        (
            "def transform(batch):\n    g = (x for x in [])\n    return g.gi_frame.f_globals\n",
            3,
            "attribute `.gi_frame`",
        ),
        ("def transform(batch):\n    return '{0.__class__}'.format(batch)\n", 2, "attribute `.format`"),
        (
            "def transform(batch):\n    import pyarrow as pa\n    return pa.OSFile('/etc/passwd')\n",
            3,
            "attribute `.OSFile`",
        ),
        ("counter = 0\n\ndef transform(batch):\n    return batch\n", 1, "module-level Assign"),
        ("def transform(batch):\n    global x\n    return batch\n", 2, "a `global` statement"),
        ("def transform(batch):\n    with batch:\n        return batch\n", 2, "a `with` statement"),
        ("from . import x\n\ndef transform(batch):\n    return batch\n", 1, "import ."),
    ],
)
def test_hostile_code_is_refused_naming_line_and_construct(code: str, line: int, construct: str) -> None:
    findings = check_code(code, "transform")
    assert any(f.line == line and f.construct.startswith(construct) for f in findings), findings


def test_exactly_one_function_with_the_configured_name() -> None:
    two = "def transform(batch):\n    return batch\n\n\ndef helper(x):\n    return x\n"
    assert [f.construct for f in check_code(two, "transform")] == ["functions"]
    assert "found apply" in str(check_code("def apply(batch):\n    return batch\n", "transform")[0])


def test_the_import_list_is_configurable() -> None:
    code = "import statistics\n\ndef transform(batch):\n    return batch\n"
    assert check_code(code, "transform")  # not in the default list
    assert check_code(code, "transform", [*DEFAULT_IMPORTS, "statistics"]) == []


def test_syntax_errors_are_findings_not_exceptions() -> None:
    (finding,) = check_code("def transform(batch):\n    return (\n", "transform")
    assert finding.construct == "syntax"
    assert finding.line >= 2
