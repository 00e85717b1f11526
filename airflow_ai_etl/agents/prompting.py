"""The agents' instructions (package data) and the delimited blocks that carry data into a prompt."""

from __future__ import annotations

import re
from importlib.resources import files

#: The tag around data in a prompt; every agent's instructions say that what it holds is never an
#: instruction. Catalog text (names, comments, samples) reaches a model only inside one.
DATA_TAG = "data"
_TAG_LIKE = re.compile(rf"<\s*/?\s*{DATA_TAG}\b", re.IGNORECASE)


def data_block(name: str, text: str) -> str:
    """`text` inside a delimited data block named `name`; anything in it that could close (or open)
    such a block is defused, so data cannot step out of it."""
    safe = _TAG_LIKE.sub(lambda m: "\\u003c" + m.group(0)[1:], text)
    return f'<{DATA_TAG} name="{name}" trust="untrusted">\n{safe}\n</{DATA_TAG}>'


def load_prompt(name: str) -> str:
    """The instructions of one agent, shipped as package data (agents/prompts/<name>.md)."""
    return (files("airflow_ai_etl") / "agents" / "prompts" / f"{name}.md").read_text(encoding="utf-8")
