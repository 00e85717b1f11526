"""How long a generation may wait for models, and when it stops asking one that is down.

One `ModelGuard` per generation, shared by every agent of it:

- a **time budget** for all model requests together (`[ai_etl] llm_budget_seconds`, default 60):
  each request gets at most what is left of it as its time-out, so a hung model costs the budget,
  not the budget times the number of agents and retries;
- **retries we make ourselves** (the SDK's own are turned off), so that every wait is announced
  ("model not answering, retry 2 of 3 in 4 s"), a Retry-After is honoured when the budget allows
  it, and a malformed or truncated body, or one in another API's shape, is retried like a 5xx;
- a **circuit breaker per model**: once a model is down (retries spent, or the budget), later
  agents asking the same model fail at once, so the orchestrator hands over to the next model of
  a fallback chain or to the offline planner in milliseconds instead of minutes.

A rejected key (401/403) is not an outage: it becomes an `LLMRejected` naming the connection and
the model, which ends the generation as a configuration error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings, merge_model_settings

from airflow_ai_etl.agents.llm_config import LLMRejected

#: Seconds before the first retry; doubled for each further one (1, 2, 4, ...).
FIRST_BACKOFF_S = 1.0
#: Shortest time-out worth sending a request with: less than this left of the budget means "spent".
MIN_REQUEST_S = 0.05


#: What a client raises reading an answer that lacks the fields of its API (a 200 from a server
#: speaking another API): errors of access to data, not of our code.
WRONG_SHAPE: tuple[type[Exception], ...] = (TypeError, AttributeError, KeyError, IndexError)


def backoff(attempt: int) -> float:
    """Seconds before retry number `attempt` when the service did not say (1, 2, 4, ...)."""
    return float(FIRST_BACKOFF_S * 2 ** (attempt - 1))


ProgressCallback = Callable[[str, str], None]
"""(agent, message): called for every retry, wait and breaker trip."""


class ModelDown(ModelAPIError):
    """The model is not asked (again): its breaker is open, or the generation's model time is spent."""


def is_outage(exc: BaseException) -> bool:
    """Whether an error means the model service could not answer (as opposed to answered badly).

    429, 408 and 5xx answers, time-outs, refused connections and bodies that are not valid JSON
    surface as ModelAPIError; any other 4xx (a wrong key, an unknown model) is a configuration
    error to report, not an outage to plan around. A fallback chain that failed throughout
    raises a group of them.
    """
    if isinstance(exc, ModelHTTPError) and 400 <= exc.status_code < 500:
        return exc.status_code in (408, 429)
    if isinstance(exc, ModelAPIError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(is_outage(e) for e in exc.exceptions)
    return False


def short_reason(exc: BaseException) -> str:
    """What went wrong, in a few words, for a progress line."""
    if isinstance(exc, ModelHTTPError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(short_reason(e) for e in exc.exceptions)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return (text[:120] + "...") if len(text) > 120 else text or type(exc).__name__


@dataclass
class ModelGuard:
    """The shared state of one generation's model calls: budget, retries, open breakers, failures."""

    budget_s: float = 60.0
    max_retries: int = 2
    on_progress: ProgressCallback | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    started: float | None = None
    #: model label -> why its breaker is open
    open: dict[str, str] = field(default_factory=dict)
    #: agent -> requests that got no usable answer (errors, time-outs), counted for usage
    failed: dict[str, int] = field(default_factory=dict)

    def remaining(self) -> float:
        if self.started is None:
            self.started = self.clock()
        return self.budget_s - (self.clock() - self.started)

    def trip(self, agent: str, label: str, reason: str) -> None:
        if label in self.open:
            return
        self.open[label] = reason
        self.progress(agent, f"model {label} is unavailable ({reason}): later agents will not wait for it")

    def progress(self, agent: str, message: str) -> None:
        if self.on_progress is not None:
            self.on_progress(agent, message)

    def wrap(self, model: Model, *, agent: str, label: str, timeout_s: float) -> GuardedModel:
        return GuardedModel(model, guard=self, agent=agent, label=label, timeout_s=timeout_s)


class GuardedModel(WrapperModel):
    """A model whose every request goes through the generation's guard."""

    def __init__(
        self, wrapped: Model, *, guard: ModelGuard, agent: str, label: str, timeout_s: float
    ) -> None:
        super().__init__(wrapped)
        self.guard = guard
        self.agent = agent
        self.model_label = label  # `label` is the model's own (read-only) property
        self.timeout_s = timeout_s

    @property
    def settings(self) -> ModelSettings | None:
        # Retries are ours (announced, budgeted); a default time-out bounds agents built elsewhere.
        return merge_model_settings(
            self.wrapped.settings, ModelSettings(timeout=self.timeout_s, max_retries=0)
        )

    def _admit(self) -> float:
        """The time-out for the next attempt, or ModelDown when the model must not be asked."""
        guard = self.guard
        if self.model_label in guard.open:
            raise ModelDown(self.model_label, f"not asked: {guard.open[self.model_label]}")
        remaining = guard.remaining()
        if remaining < MIN_REQUEST_S:
            reason = f"the model time budget of {guard.budget_s:g} s is spent"
            guard.trip(self.agent, self.model_label, reason)
            raise ModelDown(self.model_label, reason)
        return min(self.timeout_s, remaining)

    def _give_up(self, exc: ModelAPIError, attempt: int, wait: float) -> str | None:
        """Why no further attempt is made, or None to retry after `wait` seconds."""
        if attempt > self.guard.max_retries:
            return f"{short_reason(exc)}, {self.guard.max_retries} retries spent"
        left = self.guard.remaining()
        if wait + MIN_REQUEST_S >= left:
            return (
                f"{short_reason(exc)}; a retry in {wait:g} s would not fit the "
                f"{max(left, 0):.0f} s left of the model time budget"
            )
        return None

    async def _request(
        self,
        messages: list[ModelMessage],
        settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        """The wrapped model's answer; an answer in another API's shape (the client reads fields
        that are not there) is a malformed body, like JSON that does not parse."""
        try:
            return await self.wrapped.request(messages, settings, model_request_parameters)
        except WRONG_SHAPE as exc:
            raise ModelAPIError(
                self.model_label,
                f"the answer is not in the shape of the API this connection speaks "
                f"({type(exc).__name__}: {exc}); check the connection's model prefix and host",
            ) from exc

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        guard = self.guard
        attempt = 0
        while True:
            timeout = self._admit()
            settings = merge_model_settings(model_settings, ModelSettings(timeout=timeout, max_retries=0))
            try:
                return await self._request(messages, settings, model_request_parameters)
            except ModelAPIError as exc:
                guard.failed[self.agent] = guard.failed.get(self.agent, 0) + 1
                if isinstance(exc, ModelHTTPError) and exc.status_code in (401, 403):
                    raise LLMRejected(
                        f"the model service rejected the credentials of {self.model_label} "
                        f"(HTTP {exc.status_code}): check the connection's key and its access to the model"
                    ) from exc
                if not is_outage(exc):
                    raise
                attempt += 1
                wait = exc.retry_after if exc.retry_after is not None else backoff(attempt)
                give_up = self._give_up(exc, attempt, wait)
                if give_up is not None:
                    guard.trip(self.agent, self.model_label, give_up)
                    raise
                guard.progress(
                    self.agent,
                    f"model not answering ({short_reason(exc)}), "
                    f"retry {attempt} of {guard.max_retries} in {wait:g} s",
                )
                await guard.sleep(wait)
