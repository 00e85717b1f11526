"""How a model is built from a connection, and how one agent call is made, timed and accounted for.

Models come from Airflow connections through common-ai's `PydanticAIHook` (connection type
`pydanticai`: OpenAI, Anthropic, any OpenAI-compatible server through the connection's host, and
the hook's fallback chains). We write no HTTP client of our own. Which connection an agent uses,
and the limits of a call, are agents/llm_config.py: the light half, which imports no model
library.

An agent's model may come with backups (`[ai_etl] model_chain`): each connection of the chain is
guarded on its own (retries, its own breaker) inside one pydantic-ai FallbackModel, so a provider
that is down costs its retries once per generation and later agents go straight to the next one.
A connection whose extra says `"server": "vllm"` gets vLLM's guided decoding (agents/vllm.py).
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from pydantic_ai import Agent, BinaryContent, PromptedOutput, Tool
from pydantic_ai.exceptions import AgentRunError, ModelAPIError, ToolRetryError, UnexpectedModelBehavior
from pydantic_ai.messages import UserContent
from pydantic_ai.models import Model
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.usage import RunUsage

from airflow_ai_etl.agents.guard import ModelGuard
from airflow_ai_etl.agents.llm_config import (
    CallLimits,
    LLMChoice,
    LLMUnavailable,
    choice_from_config,
    fallbacks_from_config,
    limits_from_config,
)
from airflow_ai_etl.agents.vllm import VllmGuidedModel, guided_field
from airflow_ai_etl.budgets.limiter import Subject, process_budgets
from airflow_ai_etl.budgets.prices import cost_usd
from airflow_ai_etl.cache.calls import CacheUse, cached_call
from airflow_ai_etl.cache.keys import CallIdentity

if TYPE_CHECKING:
    from airflow.providers.common.ai.hooks.pydantic_ai import PydanticAIHook

    from airflow_ai_etl.agents.images import Image

OutputT = TypeVar("OutputT")


@dataclass(frozen=True)
class Backup:
    """A model an agent fails over to when the ones before it are down."""

    conn_id: str
    model: Model

    @property
    def label(self) -> str:
        return model_label(self.model, self.conn_id)


def model_label(model: Model, conn_id: str | None) -> str:
    """`system:name via connection 'id'`: how events, breakers and errors name a model."""
    where = f" via connection '{conn_id}'" if conn_id else ""
    return f"{model.system}:{model.model_name}{where}"


@dataclass
class LLM:
    """A resolved model for one agent, and where it came from (for events and usage records)."""

    agent: str
    model: Model
    limits: CallLimits = field(default_factory=CallLimits)
    conn_id: str | None = None
    hook: PydanticAIHook | None = None  # set when built from a connection: it masks secrets in tool output
    backups: tuple[Backup, ...] = ()
    #: Ask for the output as JSON text rather than through an output tool (a vLLM server guides
    #: the text by the output's schema; see agents/vllm.py).
    prompted_output: bool = False
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

    def guarded(self, guard: ModelGuard) -> Model:
        """The model with the generation's budget, retries and breaker, also for agents built elsewhere
        (the schema analyst builds its own); with backups, each is guarded on its own and tried in
        order when the ones before it are down (a rejected key still ends the generation)."""
        timeout_s = self.limits.timeout_s
        primary = guard.wrap(self.model, agent=self.agent, label=self.label, timeout_s=timeout_s)
        if not self.backups:
            return primary
        backups = [
            guard.wrap(b.model, agent=self.agent, label=b.label, timeout_s=timeout_s) for b in self.backups
        ]
        return FallbackModel(primary, *backups, fallback_on=(ModelAPIError,))

    @property
    def label(self) -> str:
        return model_label(self.model, self.conn_id)

    def create_agent(
        self, output_type: type[OutputT], *, instructions: str, tools: Sequence[Tool[Any]] = ()
    ) -> Agent[None, OutputT]:
        # Critics build their agents from threads at once: one agent per key, with its identity
        # in place before any thread can take it (without one, its answers would not be cached).
        with _AGENTS_LOCK:
            return self._create_agent(output_type, instructions=instructions, tools=tools)

    def _create_agent(
        self, output_type: type[OutputT], *, instructions: str, tools: Sequence[Tool[Any]]
    ) -> Agent[None, OutputT]:
        key = (output_type, instructions, *map(id, tools))
        if key in self._agents:
            cached: Agent[None, OutputT] = self._agents[key][1]
            return cached
        kwargs: dict[str, Any] = {
            "output_type": PromptedOutput(output_type) if self.prompted_output else output_type,
            "instructions": instructions,
            "tools": list(tools),
            "retries": {"tools": self.limits.output_retries, "output": self.limits.output_retries},
            "model_settings": self.limits.model_settings(),
        }
        agent: Agent[None, OutputT]
        agent = self.hook.create_agent(**kwargs) if self.hook is not None else Agent(self.model, **kwargs)
        agent.model = self.model  # the hook's own model lacks our wrapping (vLLM's guided decoding)
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
        self._agents[key] = (tuple(tools), agent)
        return agent


#: The cache identity of each live agent built by `LLM.create_agent`, by id (agents are not
#: hashable); agents built elsewhere have none and are never served from the cache.
_IDENTITIES: dict[int, CallIdentity] = {}
_AGENTS_LOCK = threading.RLock()


def connect(agent: str, override: LLMChoice | None = None, *, limits: CallLimits | None = None) -> LLM | None:
    """The model `agent` should use, or None when no connection is configured for it.

    Raises LLMUnavailable when a connection is configured but cannot give a model (missing
    connection, wrong type, no model set): the message says what to fix.
    """
    choice = choice_from_config(agent, override)
    if choice.conn_id is None:
        return None
    hook, model, guided = _from_connection(agent, choice.conn_id, choice.model)
    backups = tuple(
        Backup(conn_id, _from_connection(agent, conn_id, None)[1])
        for conn_id in fallbacks_from_config(agent, override)
    )
    return LLM(
        agent=agent,
        model=model,
        limits=limits or limits_from_config(),
        conn_id=choice.conn_id,
        hook=hook,
        backups=backups,
        prompted_output=guided,
    )


def _from_connection(agent: str, conn_id: str, model_id: str | None) -> tuple[PydanticAIHook, Model, bool]:
    """The hook and model of one connection (the connection's own model unless `model_id` says),
    and whether it is a vLLM server that guides its answers."""
    from airflow.providers.common.ai.hooks.pydantic_ai import PydanticAIHook

    hook_params = {"model_id": model_id} if model_id else None
    try:
        hook = PydanticAIHook.get_hook(conn_id, hook_params=hook_params)
        model = hook.get_conn()
        field = guided_field(hook.get_connection(conn_id).extra_dejson, conn_id)
    except Exception as exc:  # AirflowNotFoundException, ValueError, UserError: all "fix your config"
        raise LLMUnavailable(f"LLM connection '{conn_id}' for the {agent}: {exc}") from exc
    if field is None:
        return hook, model, False
    return hook, VllmGuidedModel(model, field=field), True


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


def run_agent(
    agent: Agent[None, OutputT], prompt: str, call: AgentCall, *, image: Image | None = None
) -> OutputT:
    """Run `agent` synchronously (Airflow tasks are sync), counting into `call` whatever happens;
    the answer comes from the LLM cache when the run's cache scope holds one for this call.

    This is the one place a model is called (through `_ask_model`). `image` goes with the prompt
    as an image part (the vision agent). Output that still does not fit
    after the retries ends in an UnexpectedModelBehavior that quotes what was wrong with it.
    """
    content: str | list[UserContent] = prompt
    keyed = prompt
    if image is not None:  # sent as an image part; keyed by its bytes' digest (cache keys are text)
        content = [prompt, BinaryContent(data=image.data, media_type=image.media_type)]
        keyed = f"{prompt}\n\n[image {image.media_type} sha256:{hashlib.sha256(image.data).hexdigest()}]"
    try:
        identity = _IDENTITIES.get(id(agent))
        return cached_call(
            identity,
            keyed,
            output_type=_answer_type(agent),
            usage=call.usage,
            use=call.cache,
            run=lambda: _ask_model(agent, content, call, identity.model if identity else None),
        )
    finally:
        call.ended = time.perf_counter()


def _answer_type(agent: Agent[None, OutputT]) -> Any:
    """The type of the agent's answer, unwrapped from the output mode it is asked in."""
    output_type = agent.output_type
    return output_type.outputs if isinstance(output_type, PromptedOutput) else output_type


def _ask_model(
    agent: Agent[None, OutputT], prompt: str | list[UserContent], call: AgentCall, model: str | None
) -> OutputT:
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
