"""py_literal: every value comes back unchanged from its source text, and never as code."""

from __future__ import annotations

import ast
import math
from typing import Any

import pytest

from airflow_ai_etl.render import RenderError, py_literal

HOSTILE = [
    "",
    'say "hi"',
    "it's",
    "both ' and \"",
    '"""',
    "'''",
    "a\"\"\"b'''c",
    '"""); __import__("os").system("x"); ("""',
    "back\\slash \\n not a newline",
    "trailing backslash\\",
    "carriage\rreturn",
    "crlf\r\nline",
    "nul\x00byte",
    "line\u2028separator\u2029paragraph",
    "vt\x0bff\x0cfs\x1cnel\x85",
    "{{ dag_run.conf }} {% raw %}",
    "__import__('os').system('x')",
    "lone surrogate \ud800",
    "bidi \u202e override",
    "tab\there",
    "SELECT 'a''b'\nFROM t\nWHERE x = \"q\"",
    'ends with quote"',
    '"starts with quote\nsecond line',
    "é 中文 🙂",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_string_round_trips_as_a_constant(value: str) -> None:
    text = py_literal(value)
    tree = ast.parse(text, mode="eval")
    assert isinstance(tree.body, ast.Constant)
    assert tree.body.value == value
    assert ast.literal_eval(text) == value


@pytest.mark.parametrize(
    "value",
    [0, -7, 10**30, 0.1, -2.5, 1e300, 1e-05, True, False, None, [], {}, [1, "a", None], {"k": {"n": [1.5]}}],
)
def test_other_values_round_trip_with_their_types(value: Any) -> None:
    back = ast.literal_eval(py_literal(value))
    assert back == value
    assert type(back) is type(value)


def test_nested_hostile_strings_round_trip() -> None:
    value = {s: [s, {"x": s}] for s in HOSTILE}
    assert ast.literal_eval(py_literal(value)) == value


def test_multi_line_sql_is_triple_quoted_and_readable() -> None:
    sql = "SELECT a,\n       b\nFROM t\nWHERE c = 'x'"
    assert py_literal(sql) == '"""' + sql + '"""'


@pytest.mark.parametrize(
    "value",
    ["a\\\nb", 'a\n"""b', 'a\nb"', '"a\nb', "a\r\nb", "a\nb\x00", "a\n\u2028b"],
)
def test_multi_line_strings_that_need_escapes_are_quoted_on_one_line(value: str) -> None:
    text = py_literal(value)
    assert "\n" not in text
    assert ast.literal_eval(text) == value


def test_quotes_follow_ruff() -> None:
    assert py_literal("plain") == '"plain"'
    assert py_literal("it's") == '"it\'s"'
    assert py_literal('say "hi"') == "'say \"hi\"'"
    assert py_literal("1e+300") == '"1e+300"'
    assert py_literal(1e300) == "1e300"


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, (1, 2), {1, 2}, b"bytes", object()])
def test_values_without_a_literal_are_refused(value: Any) -> None:
    with pytest.raises(RenderError):
        py_literal(value)


def test_prose_can_be_kept_on_one_line() -> None:
    text = "import os\nos.system('x')"
    assert py_literal(text, triple_quote=False) == "\"import os\\nos.system('x')\""
    assert py_literal([text], triple_quote=False) == "[\"import os\\nos.system('x')\"]"
