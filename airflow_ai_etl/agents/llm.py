"""How a model is built from a connection, and how one agent call is made, timed and accounted for.

Models come from Airflow connections through common-ai's `PydanticAIHook` (connection type
`pydanticai`: OpenAI, Anthropic, any OpenAI-compatible server through the connection's host, and
the hook's fallback chains). We write no HTTP client of our own. Which connection an agent uses,
and the limits of a call, are agents/llm_config.py: the light half, which imports no model
library.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from pydantic_ai import Agent, Tool
from pydantic_ai.exceptions import AgentRunError, ToolRetryError, UnexpectedModelBehavior
from pydantic_ai.models import Model
from pydantic_ai.usage import RunUsage

from airflow_ai_etl.agents.guard import GuardedModel, ModelGuard
from airflow_ai_etl.agents.llm_config import (
    CallLimits,
    LLMChoice,
    LLMUnavailable,
    choice_from_config,
    limits_from_config,
)
from airflow_ai_etl.budgets.limiter import Subject, process_budgets
from airflow_ai_etl.budgets.prices import cost_usd
from airflow_ai_etl.cache.calls import CacheUse, cached_call
from airflow_ai_etl.cache.keys import CallIdentity

if TYPE_CHECKING:
    from airflow.providers.common.ai.hooks.pydantic_ai import PydanticAIHook

OutputT = TypeVar("OutputT")


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


#: What an agent call can end with besides an answer: the model was down or misbehaved beyond repair.
MODEL_ERRORS: tuple[type[BaseException], ...] = (AgentRunError, BaseExceptionGroup)


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
