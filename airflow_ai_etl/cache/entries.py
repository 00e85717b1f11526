"""What one cache entry holds, and the checks an entry must pass before it is served.

An entry is JSON: the format, the package version that wrote it, the key it was written under,
the model's answer as JSON with its sha256, and the usage the real call cost (what a hit saves).
Anything else — bytes that are not that JSON, another format or version, another key, a checksum
that does not match, an answer that no longer fits its type — is a CorruptEntry: a miss and a
warning, never an answer.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from airflow_ai_etl import __version__

FORMAT = 1


class CorruptEntry(ValueError):
    """An entry that cannot be served; the message says why."""


@dataclass(frozen=True)
class SpentUsage:
    """What the real call behind an entry cost: what every hit on it saves."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None


@dataclass(frozen=True)
class Entry:
    output_json: str
    usage: SpentUsage
    written_at: float


def encode(key: str, output_json: str, usage: SpentUsage) -> bytes:
    data = {
        "format": FORMAT,
        "version": __version__,
        "key": key,
        "output": output_json,
        "sha256": _digest(output_json),
        "usage": {
            "requests": usage.requests,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": usage.cost_usd,
        },
        "at": time.time(),
    }
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def decode(key: str, raw: bytes) -> Entry:
    """The entry stored under `key`, or CorruptEntry naming what is wrong with it."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptEntry(f"not a cache entry ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise CorruptEntry(f"not a cache entry (a JSON {type(data).__name__})")
    if data.get("format") != FORMAT or data.get("version") != __version__:
        raise CorruptEntry(
            f"written by another version (format {data.get('format')!r}, airflow-ai-etl "
            f"{data.get('version')!r}; this is format {FORMAT}, {__version__})"
        )
    if data.get("key") != key:
        raise CorruptEntry("written under another key")
    output = data.get("output")
    if not isinstance(output, str) or data.get("sha256") != _digest(output):
        raise CorruptEntry("the answer does not match its checksum")
    return Entry(output_json=output, usage=_usage(data.get("usage")), written_at=_number(data.get("at")))


def _usage(data: Any) -> SpentUsage:
    if not isinstance(data, dict):
        raise CorruptEntry("no usage record")
    requests, input_tokens, output_tokens = (
        _count(data.get(name)) for name in ("requests", "input_tokens", "output_tokens")
    )
    cost = data.get("cost_usd")
    if cost is not None and (not isinstance(cost, int | float) or isinstance(cost, bool) or cost < 0):
        raise CorruptEntry("usage cost is not a non-negative number")
    return SpentUsage(requests, input_tokens, output_tokens, None if cost is None else float(cost))


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CorruptEntry("usage counts are not non-negative integers")
    return value


def _number(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise CorruptEntry("no time of writing")
    return float(value)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
