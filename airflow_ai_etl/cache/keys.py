"""Cache keys of a model call: the exact key, and the intent key of a call about a request.

    exact   sha256(model, instructions, tools, output schema, prompt, catalog fingerprints)
    group   sha256(model, instructions, tools, output schema, prompt with the request's words
                   replaced by a placeholder, catalog fingerprints)
    intent  sha256(group, the request's intent)

The intent tier finds its candidates among the records of the call's group by embedding (see
`proposals`) and serves one only when its intent's fields equal the request's.

Both name every connection's catalog fingerprint, so a schema change makes every key of calls
over that catalog new: the old entries are never served again and age out. The intent key
keeps the rest of the prompt (the schema part, the day, a repair's findings, the SQL expert's
step) word for word: only the request's own words may differ between two calls it unites, and
only when their parsed intents are equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

if TYPE_CHECKING:
    from airflow_ai_etl.cache.intent import Intent

#: What stands for the request's words in the prompt of an intent key.
REQUEST_PLACEHOLDER = "\x00request\x00"


@dataclass(frozen=True)
class CallIdentity:
    """What makes two agents answer the same prompt the same way: the model (`provider:name`) and
    where it is served, the instructions, the tools and the output schema, as one digest."""

    model: str
    digest: str

    @classmethod
    def of(
        cls, model: str, served_at: str, instructions: str, output_type: Any, tools: Sequence[dict[str, Any]]
    ) -> CallIdentity:
        schema = TypeAdapter(output_type).json_schema()
        parts = {
            "model": model,
            "served_at": served_at,
            "instructions": instructions,
            "output": schema,
            "tools": list(tools),
        }
        return cls(model=model, digest=_sha256(parts))


@dataclass(frozen=True)
class IntentProbe:
    """What the intent tier needs of a call: its entry's key, its group, the request and its intent."""

    key: str
    group: str
    request: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class CallKeys:
    exact: str
    intent: IntentProbe | None


def call_keys(
    identity: CallIdentity,
    prompt: str,
    fingerprints: Sequence[str],
    *,
    request: str | None = None,
    intent: Intent | None = None,
) -> CallKeys:
    """The keys of one call; no intent probe without an intent, or when the request is not in the prompt."""
    exact = _sha256({"call": identity.digest, "prompt": prompt, "catalogs": list(fingerprints)})
    if intent is None or not request or request not in prompt:
        return CallKeys(exact=exact, intent=None)
    template = prompt.replace(request, REQUEST_PLACEHOLDER)
    group = _sha256({"call": identity.digest, "template": template, "catalogs": list(fingerprints)})
    key = _sha256({"group": group, "intent": intent.key})
    return CallKeys(exact=exact, intent=IntentProbe(key, group, request, intent.fields))


def _sha256(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
