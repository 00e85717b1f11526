"""Loading, dumping and hashing specs; turning Pydantic errors into messages that name the field."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from airflow_ai_etl.spec.models import PipelineSpec

# The C loader is ~8x faster than the pure-Python one; fall back where libyaml is missing.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

#: Line width of dumped YAML; a longer string is written as a block scalar rather than folded.
_WIDTH = 100


class _Dumper(_BaseDumper):  # type: ignore[misc]  # a runtime-chosen base
    """Writes multi-line and long strings (SQL above all) as literal block scalars (`|`).

    A reviewer reads and edits SQL as it was written, without quotes, `\\n` escapes or `\\`
    continuations; a literal block keeps the text byte for byte, so dumping stays lossless.
    """


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value or len(value) > _WIDTH else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


_INTERNAL_LOC = re.compile(r"[\[\]()]")


class DocumentError(ValueError):
    """A document that cannot be read or does not fit its schema; `problems` are (field path, message)."""

    #: What the document is, for the first line of the message.
    kind = "document"

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: invalid {self.kind}"]
        lines += [f"  {path or '<root>'}: {message}" for path, message in problems]
        super().__init__("\n".join(lines))


class SpecError(DocumentError):
    kind = "pipeline spec"


def field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """Pydantic's location as the document's own path: `steps[0](load_orders).source.sql`.

    Pydantic puts union tags and validator names ('transfer', 'function-after[...]') into the
    location; they are not fields of the document, so they are left out.
    """
    path = ""
    node = data
    for item in loc:
        if isinstance(item, int):
            node = node[item] if isinstance(node, list) and 0 <= item < len(node) else None
            step_id = node.get("id") if isinstance(node, dict) else None
            path += f"[{item}]" + (f"({step_id})" if isinstance(step_id, str) else "")
            continue
        is_tag = item in (node.get("kind"), node.get("check")) if isinstance(node, dict) else False
        if isinstance(node, dict) and item not in node and (is_tag or _INTERNAL_LOC.search(item)):
            continue
        path += f".{item}" if path else item
        node = node.get(item) if isinstance(node, dict) else None
    return path


M = TypeVar("M", bound=BaseModel)


def parse_document(model: type[M], data: Any, source: str, error: type[DocumentError]) -> M:
    """Validate parsed data as `model`; every problem becomes (document path, message) in `error`."""
    if not isinstance(data, dict):
        raise error(source, [("", f"expected a mapping at the top level, got {type(data).__name__}")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field"
            elif err["type"] == "union_tag_invalid":
                ctx = err.get("ctx", {})
                field = str(ctx.get("discriminator", "kind")).strip("'")
                message = f"unknown {field} {ctx.get('tag')!r}; use one of {ctx.get('expected_tags')}"
            problems.append((field_path(tuple(err["loc"]), data), message))
        raise error(source, problems) from None


#: Bounds on a document, checked on YAML's node graph before anything is built from it: aliases
#: can make a few lines stand for billions of values (an "alias bomb").
MAX_DOCUMENT_CHARS = 5_000_000
MAX_EXPANDED_NODES = 500_000
MAX_DEPTH = 100


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"


def _bounded_size(node: yaml.Node, sizes: dict[int, int], depth: int = 0) -> int:
    """Values `node` stands for once aliases are expanded (each shared node counted once per use);
    raises ValueError at the first bound passed or duplicate key."""
    if id(node) in sizes:
        return sizes[id(node)]
    if depth > MAX_DEPTH:
        raise ValueError(f"{_where(node.start_mark)}: nested more than {MAX_DEPTH} levels deep")
    size = 1
    if isinstance(node, yaml.MappingNode):
        keys: set[tuple[str, str]] = set()
        for key, value in node.value:
            identity = (key.tag, str(key.value))
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if identity in keys:
                    raise ValueError(f"{_where(key.start_mark)}: duplicate key {key.value!r}")
                keys.add(identity)
            size += _bounded_size(key, sizes, depth + 1) + _bounded_size(value, sizes, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_bounded_size(item, sizes, depth + 1) for item in node.value)
    if size > MAX_EXPANDED_NODES:
        raise ValueError(
            f"{_where(node.start_mark)}: expands to more than {MAX_EXPANDED_NODES:,} values "
            "(aliases repeating aliases?)"
        )
    sizes[id(node)] = size
    return size


def parse_yaml(text: str, source: str, error: type[DocumentError]) -> Any:
    """YAML (or JSON, which is YAML) text as data, bounded: a syntax error names its line and
    column, and duplicate keys or a document that is too large, too deep or expands too far
    through aliases are refused before it is built."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise error(
            source, [("", f"document is {len(text):,} characters; the limit is {MAX_DOCUMENT_CHARS:,}")]
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _bounded_size(node, {})
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{_where(mark)}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(source, [("", f"not valid YAML/JSON: {where}{problem}")]) from None
    except ValueError as exc:
        raise error(source, [("", f"refused: {exc}")]) from None
    finally:
        loader.dispose()


def read_document(path: Path, error: type[DocumentError]) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(str(path), [("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(str(path), [("", f"cannot read file: {exc}")]) from None


def parse_spec(data: Any, source: str = "<spec>") -> PipelineSpec:
    """Validate already-parsed data (a dict) as a PipelineSpec, raising SpecError on any problem."""
    return parse_document(PipelineSpec, data, source, SpecError)


def loads_spec(text: str, source: str = "<spec>") -> PipelineSpec:
    """Parse YAML or JSON text into a PipelineSpec."""
    return parse_spec(parse_yaml(text, source, SpecError), source)


def load_spec(path: str | Path) -> PipelineSpec:
    """Read a spec file (.yaml, .yml or .json)."""
    path = Path(path)
    return loads_spec(read_document(path, SpecError), str(path))


def spec_to_data(spec: PipelineSpec) -> dict[str, Any]:
    """Plain JSON-compatible data, without fields left at their defaults' absence (None)."""
    data: dict[str, Any] = spec.model_dump(mode="json", exclude_none=True)
    # A reader looks for what a step is first: `id` and `kind` lead, as in hand-written specs.
    data["steps"] = [{"id": st["id"], "kind": st["kind"]} | st for st in data["steps"]]
    return data


def dumps_spec(spec: PipelineSpec, fmt: str = "yaml") -> str:
    """Deterministic text of a spec, in field order; YAML by default, or 'json'."""
    data = spec_to_data(spec)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=_WIDTH)


def spec_hash(spec: PipelineSpec) -> str:
    """sha256 of the spec's canonical JSON: the identity a rendered file and a deployment record."""
    canonical = json.dumps(spec_to_data(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def spec_json_schema() -> dict[str, Any]:
    """The JSON schema of PipelineSpec v1 (what `ai-etl spec schema` prints, and LLM output binds to)."""
    return PipelineSpec.model_json_schema()
