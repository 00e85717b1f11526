"""Which model each agent talks to, and how one agent call is made, timed and accounted for.

Models come from Airflow connections through common-ai's `PydanticAIHook` (connection type
`pydanticai`: OpenAI, Anthropic, any OpenAI-compatible server through the connection's host, and
the hook's fallback chains). We write no HTTP client of our own.

Which connection and model an agent uses is read from the `[ai_etl]` config section, per call
overrides winning:

    per-call override  >  [ai_etl] <agent>_llm_conn_id / <agent>_model  >  [ai_etl] llm_conn_id / model

A model left unset means "the one in the connection's extra". Limits (`llm_timeout` seconds per
request, `llm_max_retries` retries for 429/5xx/time-outs/malformed bodies, `llm_output_retries`
re-asks after invalid output, `llm_budget_seconds` of model time per generation) are read from the
same section; agents/guard.py enforces the budget, the retries and the circuit breaker.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import conf
from pydantic import ValidationError
from pydantic_ai import Agent, Tool
from pydantic_ai.exceptions import AgentRunError, ToolRetryError, UnexpectedModelBehavior
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RunUsage

from airflow_ai_etl.agents.events import AgentUsage
from airflow_ai_etl.agents.guard import GuardedModel, ModelGuard
from airflow_ai_etl.budgets.limiter import Subject, process_budgets
from airflow_ai_etl.budgets.prices import cost_usd
from airflow_ai_etl.cache.calls import CacheUse, cached_call
from airflow_ai_etl.cache.keys import CallIdentity

if TYPE_CHECKING:
    from airflow.providers.common.ai.hooks.pydantic_ai import PydanticAIHook

CONFIG_SECTION = "ai_etl"

OutputT = TypeVar("OutputT")


class LLMUnavailable(RuntimeError):
    """A model cannot be used: the connection is missing or does not resolve to a model."""


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
        return ModelSettings(timeout=self.timeout_s, max_retries=self.max_retries)


def _config(key: str) -> str | None:
    value = conf.get(CONFIG_SECTION, key, fallback=None)
    return value.strip() or None if isinstance(value, str) else None


def choice_from_config(agent: str, override: LLMChoice | None = None) -> LLMChoice:
    """The connection and model for `agent`: the override, then the agent's own keys, then the defaults."""
    override = override or LLMChoice()
    return LLMChoice(
        conn_id=override.conn_id or _config(f"{agent}_llm_conn_id") or _config("llm_conn_id"),
        model=override.model or _config(f"{agent}_model") or _config("model"),
    )


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


@dataclass
class LLM:
    """A resolved model for one agent, and where it came from (for events and usage records)."""

    agent: str
    model: Model
    limits: CallLimits = field(default_factory=CallLimits)
    conn_id: str | None = None
    hook: PydanticAIHook | None = None  # set when built from a connection: it masks secrets in tool output
    # Agents built so far, by (output type, instructions, tool identities): building one costs
    # ~10 ms (output and tool schemas), and the SQL expert asks for the same agent per statement.
    # The tools are kept in the value so that their ids stay theirs while the entry lives.
    _agents: dict[tuple[Any, ...], tuple[tuple[Tool[Any], ...], Agent[None, Any]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_model(cls, agent: str, model: Model, limits: CallLimits | None = None) -> LLM:
        """An LLM around a ready pydantic-ai model (FunctionModel in tests, or a caller's own)."""
        return cls(agent=agent, model=model, limits=limits or CallLimits())

    def guarded(self, guard: ModelGuard) -> GuardedModel:
        """The model with the generation's budget, retries and breaker, also for agents built elsewhere
        (the schema analyst builds its own)."""
        return guard.wrap(self.model, agent=self.agent, label=self.label, timeout_s=self.limits.timeout_s)

    @property
    def label(self) -> str:
        where = f" via connection '{self.conn_id}'" if self.conn_id else ""
        return f"{self.model.system}:{self.model.model_name}{where}"

    def create_agent(
        self, output_type: type[OutputT], *, instructions: str, tools: Sequence[Tool[Any]] = ()
    ) -> Agent[None, OutputT]:
        key = (output_type, instructions, *map(id, tools))
        if key in self._agents:
            cached: Agent[None, OutputT] = self._agents[key][1]
            return cached
        kwargs: dict[str, Any] = {
            "output_type": output_type,
            "instructions": instructions,
            "tools": list(tools),
            "retries": {"tools": self.limits.output_retries, "output": self.limits.output_retries},
            "model_settings": self.limits.model_settings(),
        }
        agent: Agent[None, OutputT]
        agent = self.hook.create_agent(**kwargs) if self.hook is not None else Agent(self.model, **kwargs)
        self._agents[key] = (tuple(tools), agent)
        _IDENTITIES[id(agent)] = CallIdentity.of(
            f"{self.model.system}:{self.model.model_name}",
            self.model.base_url or "",
            instructions,
            output_type,
            [
                {"name": t.name, "description": t.description, "parameters": t.function_schema.json_schema}
                for t in tools
            ],
        )
        weakref.finalize(agent, _IDENTITIES.pop, id(agent), None)
        return agent


#: The cache identity of each live agent built by `LLM.create_agent`, by id (agents are not
#: hashable); agents built elsewhere have none and are never served from the cache.
_IDENTITIES: dict[int, CallIdentity] = {}


def connect(agent: str, override: LLMChoice | None = None, *, limits: CallLimits | None = None) -> LLM | None:
    """The model `agent` should use, or None when no connection is configured for it.

    Raises LLMUnavailable when a connection is configured but cannot give a model (missing
    connection, wrong type, no model set): the message says what to fix.
    """
    from airflow.providers.common.ai.hooks.pydantic_ai import PydanticAIHook

    choice = choice_from_config(agent, override)
    if choice.conn_id is None:
        return None
    hook_params = {"model_id": choice.model} if choice.model else None
    try:
        hook = PydanticAIHook.get_hook(choice.conn_id, hook_params=hook_params)
        model = hook.get_conn()
    except Exception as exc:  # AirflowNotFoundException, ValueError, UserError: all "fix your config"
        raise LLMUnavailable(f"LLM connection '{choice.conn_id}' for the {agent}: {exc}") from exc
    return LLM(
        agent=agent, model=model, limits=limits or limits_from_config(), conn_id=choice.conn_id, hook=hook
    )


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


#: What an agent call can end with besides an answer: the model was down or misbehaved beyond repair.
MODEL_ERRORS: tuple[type[BaseException], ...] = (AgentRunError, BaseExceptionGroup)


def describe_error(exc: BaseException) -> str:
    """A one-line reason for an event or a failed result (never a traceback)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe_error(e) for e in exc.exceptions)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class AgentCall:
    """Time and tokens of one agent call, filled in even when the call fails.

    `model`, when set, replaces the agent's own for this call (the generation's guarded model).
    """

    usage: RunUsage = field(default_factory=RunUsage)
    started: float = field(default_factory=time.perf_counter)
    ended: float | None = None
    cache: CacheUse = field(default_factory=CacheUse)
    model: Model | None = None

    @property
    def duration_ms(self) -> float:
        return ((self.ended or time.perf_counter()) - self.started) * 1000


#: Validation errors quoted when output retries are spent (the rest are counted).
QUOTED_OUTPUT_ERRORS = 3


def _output_errors(exc: BaseException) -> list[str]:
    """The validation errors behind an exhausted output budget, as `field: message`."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ValidationError):
            return [f"{'.'.join(map(str, e['loc'])) or '(output)'}: {e['msg']}" for e in cause.errors()]
        if isinstance(cause, ToolRetryError):
            content = cause.tool_retry.content
            if isinstance(content, list):
                return [
                    f"{'.'.join(map(str, e.get('loc', ()))) or '(output)'}: {e.get('msg', e)}"
                    if isinstance(e, dict)
                    else str(e)
                    for e in content
                ]
            return [str(content)]
        cause = cause.__cause__ or cause.__context__
    return []


def run_agent(agent: Agent[None, OutputT], prompt: str, call: AgentCall) -> OutputT:
    """Run `agent` synchronously (Airflow tasks are sync), counting into `call` whatever happens;
    the answer comes from the LLM cache when the run's cache scope holds one for this call.

    This is the one place a model is called (through `_ask_model`). Output that still does not fit
    after the retries ends in an UnexpectedModelBehavior that quotes what was wrong with it.
    """
    try:
        identity = _IDENTITIES.get(id(agent))
        return cached_call(
            identity,
            prompt,
            output_type=agent.output_type,
            usage=call.usage,
            use=call.cache,
            run=lambda: _ask_model(agent, prompt, call, identity.model if identity else None),
        )
    finally:
        call.ended = time.perf_counter()


def _ask_model(agent: Agent[None, OutputT], prompt: str, call: AgentCall, model: str | None) -> OutputT:
    """One real model call. For a known model (`provider:name`): within its budget (BudgetExceeded
    when spent), priced by `[ai_etl] model_prices` or genai-prices, charged to its day counters."""
    subject = Subject("model", model) if model else None
    budgets = process_budgets()
    if subject is not None:
        budgets.admit(subject)
    try:
        return agent.run_sync(prompt, usage=call.usage, model=call.model).output
    except UnexpectedModelBehavior as exc:
        errors = _output_errors(exc)
        if not errors:
            raise
        more = len(errors) - QUOTED_OUTPUT_ERRORS
        quoted = "; ".join(errors[:QUOTED_OUTPUT_ERRORS]) + (f" (and {more} more)" if more > 0 else "")
        raise UnexpectedModelBehavior(f"{exc.message}; the last answer was rejected: {quoted}") from exc
    finally:
        if subject is not None:
            usage = call.usage
            cost = cost_usd(subject.name, usage.input_tokens, usage.output_tokens)
            if cost is not None:
                usage.cost = Decimal(str(cost))
            budgets.charge(subject, tokens=usage.input_tokens + usage.output_tokens, cost_usd=cost)


class UsageMeter:
    """Token usage and cost per agent over a whole generation run."""

    def __init__(self) -> None:
        self._usage: dict[str, AgentUsage] = {}

    def add(self, agent: str, usage: RunUsage, cache: CacheUse | None = None, *, failed: int = 0) -> None:
        if cache is not None and cache.tier is not None:
            saved = self._usage.setdefault(agent, AgentUsage(agent=agent, cost_usd=0.0))
            saved.cache_hits += 1
            saved.saved_input_tokens += cache.saved.input_tokens
            saved.saved_output_tokens += cache.saved.output_tokens
            saved.saved_cost_usd += cache.saved.cost_usd or 0.0
        if not usage.requests and not failed:
            return
        total = self._usage.setdefault(agent, AgentUsage(agent=agent, cost_usd=0.0))
        total.failed_requests += failed
        total.requests += usage.requests
        total.input_tokens += usage.input_tokens
        total.output_tokens += usage.output_tokens
        if not usage.requests:  # failed requests only: nothing was priced
            return
        # One unpriced call makes the agent's total unknown: a partial sum would understate it.
        if usage.cost is None or total.cost_usd is None:
            total.cost_usd = None
        else:
            total.cost_usd += float(usage.cost)

    def summary(self) -> list[AgentUsage]:
        return [u.model_copy() for u in self._usage.values()]
