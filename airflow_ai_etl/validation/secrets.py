"""No secrets in a spec: credential-looking text in any field is refused, whatever the field.

Every string a spec holds can end up in a DAG file, a commit, an event or a log (rule 3: no
secrets in generated files), so the whole document is scanned - descriptions, tags, the request,
SQL, paths, check names, Avro schemas - rather than a list of fields that would miss a new one.
Secrets belong in Airflow connections and variables, which the spec names by id.

Finding code (error):
- `spec.secret` - a field holds a credential-bearing URL, a key or token pattern, a password
  assignment or a private key; the message names the kind, never the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from airflow_ai_etl.spec.models import PipelineSpec
from airflow_ai_etl.validation.report import Finding, Severity

#: What a secret looks like, by kind; general shapes, not a list of known values.
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "a URL with a password": re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@]*:[^\s/@]+@", re.IGNORECASE),
    "a private key": re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"),
    "a cloud access key": re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{35}\b"),
    "an API token": re.compile(
        r"\b(sk|pk|rk)-[A-Za-z0-9_-]{20,}"  # OpenAI/Anthropic-style keys (sk-..., sk-proj-..., sk-ant-...)
        r"|\b(sk|rk|pk)_(live|test)_[0-9A-Za-z]{16,}"  # Stripe
        r"|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"  # GitHub
        r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack
        r"|\bglpat-[A-Za-z0-9_-]{20,}"  # GitLab
        r"|\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"  # JWT
        r"|\bbearer\s+[A-Za-z0-9._~+/-]{20,}",
        re.IGNORECASE,
    ),
    # `password=...`, `api_key: ...`: a quoted value, or an unquoted one with a digit or symbol
    # (so that SQL comparing two columns, `password = new_password`, is not taken for one).
    "a password or key assignment": re.compile(
        r"\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?key|secret[_-]?key|auth[_-]?token"
        r"|access[_-]?token)\s*[=:]\s*(?:'[^'\s]{4,}'|\"[^\"\s]{4,}\"|(?=[^\s'\",;)]*[\d!#$%&*+/?@^~])"
        r"[^\s'\",;)]{6,})",
        re.IGNORECASE,
    ),
}


def secret_kind(text: str) -> str | None:
    """The kind of secret `text` holds, if it looks like it holds one."""
    return next((kind for kind, pattern in SECRET_PATTERNS.items() if pattern.search(text)), None)


def secret_findings(spec: PipelineSpec) -> list[Finding]:
    """A finding for every string in the spec that looks like it holds a secret."""
    data = spec.model_dump(mode="json")
    steps = data.pop("steps")
    located: list[tuple[str | None, str, str]] = [(None, path, text) for path, text in _strings(data, "")]
    for step in steps:
        located += [(step["id"], path, text) for path, text in _strings(step, "")]
    findings = []
    for step_id, path, text in located:
        kind = secret_kind(text)
        if kind is not None:
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="spec.secret",
                    message=f"{path} holds what looks like {kind}: secrets must never be written into a "
                    "spec or a DAG file",
                    step_id=step_id,
                    field=path,
                    hint="keep credentials in an Airflow connection or variable and name it by id",
                )
            )
    return findings


def redacted(findings: Iterable[Finding]) -> list[Finding]:
    """`findings` with any secret-looking text in their messages and hints replaced: a check that
    quotes the field it refuses must not carry the secret into logs, events and the store."""

    def redact(text: str | None) -> str | None:
        if text is None:
            return None
        for pattern in SECRET_PATTERNS.values():
            text = pattern.sub("[redacted]", text)
        return text

    return [
        f
        if secret_kind(f.message + (f.hint or "")) is None
        else f.model_copy(update={"message": redact(f.message), "hint": redact(f.hint)})
        for f in findings
    ]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(document path, text) of every string under `value`, keys included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
