"""The AST allowlist a transform's code must pass before anyone may approve or run it.

The code is parsed, never executed. It may hold a docstring, imports of allowed modules and one
function definition, nothing else at module level. Inside, it may not reach for dunder names or
attributes (the way out of every Python sandbox: `().__class__.__mro__...`), nor call the builtins
that load code, touch files or the process, or look names up by string. Each finding names the
line and the construct, so a reviewer (or the coder agent, on a retry) can fix exactly that.

The checker is the first wall, not the only one: the sandbox (`transforms.sandbox`) is built to
contain code that slipped past it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Modules a transform may import unless `[ai_etl] python_transform_imports` says otherwise.
DEFAULT_IMPORTS: tuple[str, ...] = (
    "pyarrow",
    "pyarrow.compute",
    "json",
    "re",
    "datetime",
    "decimal",
    "math",
)

#: Builtins that load or run code, touch files, the process or the interpreter, or look names up
#: by string (so a checker cannot see what is reached).
FORBIDDEN_NAMES: frozenset[str] = frozenset(
    {
        "open",
        "exec",
        "eval",
        "compile",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "globals",
        "locals",
        "vars",
        "dir",
        "input",
        "breakpoint",
        "help",
        "format",
        "exit",
        "quit",
        "memoryview",
        "object",
        "type",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "__builtins__",
        "__loader__",
        "__spec__",
    }
)

#: Attributes that are not dunders but still lead out: frames of generators, coroutines and
#: tracebacks (and through them every global), string formatting (which reads attributes named
#: in a run-time string), and the pyarrow entry points that open files, memory maps or services.
FORBIDDEN_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "gi_frame",
        "gi_code",
        "cr_frame",
        "ag_frame",
        "tb_frame",
        "tb_next",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "format",
        "format_map",
        "OSFile",
        "PythonFile",
        "NativeFile",
        "memory_map",
        "create_memory_map",
        "input_stream",
        "output_stream",
        "fs",
        "ipc",
        "parquet",
        "csv",
        "dataset",
        "feather",
        "orc",
        "flight",
        "hdfs",
        "cuda",
        "jvm",
        "substrait",
        "load_library",
        "register_extension_type",
    }
)

#: Statements a pure function has no use for: scope escapes and process-level effects.
_FORBIDDEN_STATEMENTS: dict[type[ast.AST], str] = {
    ast.Global: "a `global` statement",
    ast.Nonlocal: "a `nonlocal` statement",
    ast.ClassDef: "a class definition",
    ast.AsyncFunctionDef: "an async function",
    ast.Await: "`await`",
    ast.AsyncFor: "`async for`",
    ast.AsyncWith: "`async with`",
    ast.With: "a `with` statement (no files or resources to manage in a pure function)",
    ast.Delete: "a `del` statement",
}

#: Longest code accepted (a transform is one function, not a program).
MAX_CODE_CHARS = 20_000


@dataclass(frozen=True)
class CodeFinding:
    """One reason the code is refused: where, what, and why."""

    line: int
    construct: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.construct}: {self.message}"


def check_code(
    code: str, function: str, allowed_imports: Iterable[str] = DEFAULT_IMPORTS
) -> list[CodeFinding]:
    """Everything in `code` the allowlist refuses; empty when the code may be reviewed and run."""
    if len(code) > MAX_CODE_CHARS:
        return [CodeFinding(1, "code", f"is {len(code)} characters; a transform may have {MAX_CODE_CHARS}")]
    try:
        tree = ast.parse(code, filename="<transform>", mode="exec")
    except SyntaxError as exc:
        return [CodeFinding(exc.lineno or 1, "syntax", exc.msg)]
    allowed = frozenset(allowed_imports)
    findings = _module_level(tree.body, function, allowed)
    for node in ast.walk(tree):
        findings += _node_findings(node, allowed)
    return sorted(findings, key=lambda f: (f.line, f.construct))


def _module_level(body: Sequence[ast.stmt], function: str, allowed: frozenset[str]) -> list[CodeFinding]:
    """Module level: an optional docstring, imports, and exactly one function named `function`."""
    findings: list[CodeFinding] = []
    functions = []
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.FunctionDef):
            functions.append(stmt)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            continue  # checked with every other import below
        elif index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # the module docstring
        else:
            construct = type(stmt).__name__
            findings.append(
                CodeFinding(
                    stmt.lineno,
                    f"module-level {construct}",
                    "only imports and the one function may stand at module level "
                    "(module-level state would make the function impure)",
                )
            )
    names = [f.name for f in functions]
    if names != [function]:
        line = functions[1].lineno if len(functions) > 1 else 1
        found = ", ".join(names) or "none"
        findings.append(
            CodeFinding(
                line, "functions", f"the code must define exactly one function, {function!r}; found {found}"
            )
        )
    elif functions[0].decorator_list:
        findings.append(CodeFinding(functions[0].lineno, "decorator", "the function may not be decorated"))
    return findings


def _node_findings(node: ast.AST, allowed: frozenset[str]) -> list[CodeFinding]:
    line = getattr(node, "lineno", 1)
    if isinstance(node, ast.Import):
        return [
            _import_finding(line, alias.name, allowed) for alias in node.names if alias.name not in allowed
        ]
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
        if node.level or module not in allowed:
            return [_import_finding(line, module, allowed)]
        return [
            CodeFinding(line, f"from {module} import {alias.name}", _imported_name_reason(alias.name))
            for alias in node.names
            if alias.name == "*" or alias.name in FORBIDDEN_ATTRIBUTES or _dunder(alias.name)
        ]
    if isinstance(node, ast.Name) and (node.id in FORBIDDEN_NAMES or _dunder(node.id)):
        return [CodeFinding(line, f"name `{node.id}`", _forbidden_name_reason(node.id))]
    if isinstance(node, ast.Attribute) and _dunder(node.attr):
        return [
            CodeFinding(line, f"attribute `.{node.attr}`", "dunder attributes are the way out of the sandbox")
        ]
    if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
        return [
            CodeFinding(
                line,
                f"attribute `.{node.attr}`",
                "it reaches frames, formats attributes named at run time, or opens files or services",
            )
        ]
    if isinstance(node, ast.FunctionDef | ast.Lambda) and _dunder_argument(node):
        return [CodeFinding(line, "argument", "argument names may not be dunder names")]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _dunder_text(node.value):
        return [
            CodeFinding(line, f"string {node.value[:40]!r}", "strings naming dunder attributes are refused")
        ]
    for statement, description in _FORBIDDEN_STATEMENTS.items():
        if isinstance(node, statement):
            return [CodeFinding(line, description, "not allowed in a transform")]
    return []


def _import_finding(line: int, module: str, allowed: frozenset[str]) -> CodeFinding:
    return CodeFinding(
        line,
        f"import {module}",
        f"only these modules may be imported: {', '.join(sorted(allowed))} "
        "([ai_etl] python_transform_imports)",
    )


def _imported_name_reason(name: str) -> str:
    if name == "*":
        return "star imports hide which names are used"
    return "this name opens files or services, or reaches the interpreter's internals"


def _forbidden_name_reason(name: str) -> str:
    if _dunder(name):
        return "dunder names reach the interpreter's internals"
    return "this builtin loads code, touches files or the process, or looks names up by string"


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def _dunder_text(text: str) -> bool:
    """A string that is, or contains, a dunder name (`'__class__'`, `'x.__globals__'`)."""
    start = text.find("__")
    while start != -1:
        end = text.find("__", start + 2)
        if end == -1:
            return False
        inner = text[start + 2 : end]
        if inner.isidentifier():
            return True
        start = text.find("__", start + 2)
    return False


def _dunder_argument(node: ast.FunctionDef | ast.Lambda) -> bool:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return any(a is not None and _dunder(a.arg) for a in every)
