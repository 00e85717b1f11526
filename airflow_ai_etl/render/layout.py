"""Lay out calls and literals the way `ruff format` would, so rendered files are already formatted.

The rule is ruff's own: an expression stays on one line when it fits; otherwise it is split one
element per line with a trailing comma (which ruff then keeps split). Widths are measured
conservatively (non-ASCII counts double), so whatever is kept on one line also fits for ruff.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_ai_etl.render.literals import py_literal

#: ruff's default line length; files that fit it also fit any longer configured length.
LINE_LENGTH = 88
INDENT = "    "


@dataclass(frozen=True)
class Code:
    """An expression written by the renderer itself (a name, `timezone.utc`), never spec text."""

    text: str


@dataclass(frozen=True)
class Sql:
    """SQL text: triple-quoted across lines when that needs no escapes (other strings never are)."""

    text: str


@dataclass(frozen=True)
class Call:
    """`func(*args, **kwargs)`; `split` keeps it one argument per line even when it would fit."""

    func: str
    args: tuple[object, ...] = ()
    kwargs: tuple[tuple[str, object], ...] = ()
    split: bool = False


def width(text: str) -> int:
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


def _children(node: object) -> tuple[str, str, list[tuple[str, object]]] | None:
    """Opening bracket, closing bracket and (prefix, child) pairs of a splittable node."""
    if isinstance(node, Call):
        items = [("", arg) for arg in node.args] + [(f"{name}=", value) for name, value in node.kwargs]
        return f"{node.func}(", ")", items
    if isinstance(node, list):
        return "[", "]", [("", item) for item in node]
    if isinstance(node, dict):
        return "{", "}", [(f"{py_literal(key, triple_quote=False)}: ", value) for key, value in node.items()]
    return None


def flat(node: object) -> str:
    """The node on one line (multi-line only where a triple-quoted string spans lines)."""
    if isinstance(node, Code):
        return node.text
    if isinstance(node, Sql):
        return py_literal(node.text)
    children = _children(node)
    if children is None:
        return py_literal(node, triple_quote=False)
    opening, closing, items = children
    return opening + ", ".join(prefix + flat(child) for prefix, child in items) + closing


def lay_out(node: object, indent: str, head: str = "", tail: str = "") -> list[str]:
    """Lines for `head + node + tail` at `indent`, split where it does not fit."""
    text = flat(node)
    forced = isinstance(node, Call) and node.split
    if "\n" not in text and not forced and width(indent + head + text + tail) <= LINE_LENGTH:
        return [indent + head + text + tail]
    children = _children(node)
    if children is None or not children[2]:
        if "\n" in text:
            # A triple-quoted string: in parentheses so its first line starts where code does.
            return [indent + head + "(", indent + INDENT + text, indent + ")" + tail]
        return [indent + head + text + tail]  # an atom that cannot be split
    opening, closing, items = children
    lines = [indent + head + opening]
    for prefix, child in items:
        lines += lay_out(child, indent + INDENT, prefix, ",")
    lines.append(indent + closing + tail)
    return lines
