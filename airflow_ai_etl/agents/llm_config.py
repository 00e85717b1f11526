"""Which connection and model each agent is configured to use, and the limits on one call.

This module is the light half of model access: reading `[ai_etl]` and naming what is chosen
imports no model library, so the offline planner's path (and any process that only asks "is a
model configured?") stays free of pydantic-ai. Building a model from a connection and calling it
is agents/llm.py.

Which connection and model an agent uses is read from the `[ai_etl]` config section, per call
overrides winning:

    per-call override  >  [ai_etl] <agent>_llm_conn_id / <agent>_model  >  [ai_etl] llm_conn_id / model
                       >  the first connection of [ai_etl] model_chain

`[ai_etl] model_chain` lists connections to fail over to, in order (`openai_conn, anthropic_conn,
vllm_conn`): when the agent's connection is down, its request goes to the next one of the chain,
and when all are down, the generation plans with the offline planner. A connection named by a
per-call override is used alone: whoever names one model wants that model's answer.

A model left unset means "the one in the connection's extra". Limits (`llm_timeout` seconds per
request, `llm_max_retries` retries for 429/5xx/time-outs/malformed bodies, `llm_output_retries`
re-asks after invalid output, `llm_budget_seconds` of model time per generation) are read from the
same section; agents/guard.py enforces the budget, the retries and the circuit breaker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow.sdk import conf

if TYPE_CHECKING:
    from pydantic_ai.settings import ModelSettings

CONFIG_SECTION = "ai_etl"


class LLMUnavailable(RuntimeError):
    """A model cannot be used: the connection is missing or does not resolve to a model."""


class LLMRejected(RuntimeError):
    """The model service rejected the credentials (401/403): a configuration error, not an outage."""


@dataclass(frozen=True)
class LLMChoice:
    """A connection and (optionally) a model id such as 'openai:gpt-5'; None means 'not chosen here'."""

    conn_id: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class CallLimits:
    """Bounds on one agent call, so that a slow or failing model costs a known, small amount of time."""

    timeout_s: float = 60.0
    max_retries: int = 2
    output_retries: int = 2
    budget_s: float = 60.0  # all model requests of one generation together

    def model_settings(self) -> ModelSettings:
        return {"timeout": self.timeout_s, "max_retries": self.max_retries}


def config_value(key: str) -> str | None:
    """`[ai_etl] key`, stripped; None when unset or blank."""
    value = conf.get(CONFIG_SECTION, key, fallback=None)
    return value.strip() or None if isinstance(value, str) else None


def chain_from_config() -> list[str]:
    """`[ai_etl] model_chain`: connection ids, in the order they are tried (blanks and repeats dropped)."""
    raw = config_value("model_chain") or ""
    return list(dict.fromkeys(c.strip() for c in raw.replace("\n", ",").split(",") if c.strip()))


def choice_from_config(agent: str, override: LLMChoice | None = None) -> LLMChoice:
    """The connection and model for `agent`: the override, then the agent's own keys, then the
    defaults, then the first connection of the model chain."""
    override = override or LLMChoice()
    chain = chain_from_config()
    return LLMChoice(
        conn_id=override.conn_id
        or config_value(f"{agent}_llm_conn_id")
        or config_value("llm_conn_id")
        or (chain[0] if chain else None),
        model=override.model or config_value(f"{agent}_model") or config_value("model"),
    )


def fallbacks_from_config(agent: str, override: LLMChoice | None = None) -> list[str]:
    """The connections `agent` fails over to, in order: the model chain without the agent's own
    connection; none when a per-call override names the connection."""
    if override is not None and override.conn_id:
        return []
    primary = choice_from_config(agent).conn_id
    return [c for c in chain_from_config() if c != primary]


def limits_from_config() -> CallLimits:
    default = CallLimits()
    return CallLimits(
        timeout_s=conf.getfloat(CONFIG_SECTION, "llm_timeout", fallback=default.timeout_s),
        max_retries=conf.getint(CONFIG_SECTION, "llm_max_retries", fallback=default.max_retries),
        output_retries=conf.getint(CONFIG_SECTION, "llm_output_retries", fallback=default.output_retries),
        budget_s=conf.getfloat(CONFIG_SECTION, "llm_budget_seconds", fallback=default.budget_s),
    )


def quiet_http_logs() -> None:
    """HTTP client libraries log every request at INFO; a generation's own events say what matters."""
    for name in ("httpx", "httpx2", "httpcore", "openai", "anthropic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def describe_error(exc: BaseException) -> str:
    """A one-line reason for an event or a failed result (never a traceback)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe_error(e) for e in exc.exceptions)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
