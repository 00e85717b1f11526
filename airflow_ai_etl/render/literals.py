"""Python literals for spec values: the only way a value from a spec enters a rendered file.

Every literal is checked by parsing it back with `ast.literal_eval`: whatever the text holds
(quotes, backslashes, line breaks, template markers, code), it can only ever be the same value
again, never code. Strings are quoted the way `ruff format` quotes them, so rendered files need
no reformatting.
"""

from __future__ import annotations

import ast
import math

from airflow_ai_etl.render.errors import RenderError

_TRIPLE = '"""'


def _char_escape(char: str, quote: str) -> str:
    if char == "\\":
        return "\\\\"
    if char == quote:
        return "\\" + quote
    if char.isprintable():
        return char
    # repr() escapes exactly the non-printable characters: \n, \x00, \u2028, lone surrogates, ...
    return repr(char)[1:-1]


def _quoted(text: str) -> str:
    """A one-line string literal; double quotes unless that needs more escapes (ruff's choice)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_char_escape(c, quote) for c in text) + quote


def _triple_quoted_safe(text: str) -> bool:
    """Whether `\"\"\"text\"\"\"` is the same string: no escapes, no quote run that could end it."""
    return (
        "\n" in text
        and "\\" not in text
        and _TRIPLE not in text
        and not text.startswith('"')
        and not text.endswith('"')
        and all(c.isprintable() or c in "\n\t" for c in text)
    )


def _number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise RenderError(f"{value!r} has no Python literal")
    # ruff writes exponents without '+': 1e+300 -> 1e300
    return repr(value).replace("e+", "e")


def _literal(value: object, triple_quote: bool) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        if triple_quote and _triple_quoted_safe(value):
            return _TRIPLE + value + _TRIPLE
        return _quoted(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item, triple_quote) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{_literal(k, triple_quote)}: {_literal(v, triple_quote)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise RenderError(f"a value of type {type(value).__name__} cannot be rendered as a literal")


def _same(a: object, b: object) -> bool:
    """Equal and of the same types all the way down (so True never stands in for 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


def py_literal(value: object, *, triple_quote: bool = True) -> str:
    """Python source for a str/int/float/bool/None/list/dict value, verified to evaluate back to it.

    With `triple_quote`, a multi-line string that needs no escapes becomes a triple-quoted literal
    (readable SQL); anything else is a one-line quoted literal with escapes. Prose is better
    rendered without: text that looks like code should not be laid out like code for a reviewer.
    """
    text = _literal(value, triple_quote)
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:  # pragma: no cover - would be a bug in _literal
        raise RenderError(f"internal error: literal for {value!r} does not parse: {exc}") from None
    if not _same(parsed, value):  # pragma: no cover - would be a bug in _literal
        raise RenderError(f"internal error: literal for {value!r} does not round-trip")
    return text
