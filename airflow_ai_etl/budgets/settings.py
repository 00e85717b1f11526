"""Budget settings in `[ai_etl]`, checked at start-up: a bad value is an error naming the option.

    user_requests_per_minute   generation requests one user may make per minute      (0: no limit)
    user_tokens_per_day        model tokens one user's requests may use per UTC day  (0: no limit)
    user_cost_per_day          USD one user's requests may cost per UTC day          (0: no limit)
    model_budgets              JSON {"openai:gpt-5": {"requests_per_minute": 60,
                                      "tokens_per_day": 2000000, "cost_per_day": 50}}

Counts live in the Redis of `[ai_etl] cache_conn_id`, so that every api-server worker, CLI and
Airflow worker shares them; limits without that Redis are refused, since a count per process
would let N processes spend N budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from airflow_ai_etl.budgets.prices import PRICES_OPTION, has_price, price_overrides
from airflow_ai_etl.config import ConfigError, config_float, config_int, config_json, config_str, is_amount

MODEL_BUDGETS_OPTION = "model_budgets"


@dataclass(frozen=True)
class Limits:
    """One subject's limits; 0 means no limit."""

    requests_per_minute: int = 0
    tokens_per_day: int = 0
    cost_per_day: float = 0.0

    @property
    def any(self) -> bool:
        return bool(self.requests_per_minute or self.tokens_per_day or self.cost_per_day)


@dataclass(frozen=True)
class BudgetSettings:
    user: Limits = field(default_factory=Limits)
    models: Mapping[str, Limits] = field(default_factory=dict)
    conn_id: str | None = None

    @property
    def any(self) -> bool:
        return self.user.any or any(limits.any for limits in self.models.values())


def _not_negative(option: str, value: float) -> None:
    if value < 0:
        raise ConfigError(option, value, "must be 0 (no limit) or more")


def _model_limits() -> dict[str, Limits]:
    data = config_json(MODEL_BUDGETS_OPTION)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(MODEL_BUDGETS_OPTION, data, "must be a JSON object of model id -> limits")
    known = {"requests_per_minute", "tokens_per_day", "cost_per_day"}
    models: dict[str, Limits] = {}
    for model, limits in data.items():
        if not isinstance(limits, dict) or not set(limits) <= known:
            raise ConfigError(MODEL_BUDGETS_OPTION, data, f"{model!r}: limits are {', '.join(sorted(known))}")
        values = list(limits.values())
        if not all(map(is_amount, values)):
            raise ConfigError(MODEL_BUDGETS_OPTION, data, f"{model!r}: limits must be numbers, 0 or more")
        if not has_price(model):
            raise ConfigError(
                MODEL_BUDGETS_OPTION,
                data,
                f"model {model!r} is unknown: genai-prices has no price for it and [ai_etl] {PRICES_OPTION} "
                "names none (write provider:model, e.g. 'openai:gpt-5')",
            )
        models[model] = Limits(
            requests_per_minute=int(limits.get("requests_per_minute", 0)),
            tokens_per_day=int(limits.get("tokens_per_day", 0)),
            cost_per_day=float(limits.get("cost_per_day", 0)),
        )
    return models


def budget_settings() -> BudgetSettings:
    """`[ai_etl]`'s budgets; raises ConfigError naming the option that is wrong."""
    price_overrides.cache_clear()
    price_overrides()  # checks [ai_etl] model_prices
    user = Limits(
        requests_per_minute=config_int("user_requests_per_minute", 0),
        tokens_per_day=config_int("user_tokens_per_day", 0),
        cost_per_day=config_float("user_cost_per_day", 0.0),
    )
    for option, value in (
        ("user_requests_per_minute", user.requests_per_minute),
        ("user_tokens_per_day", user.tokens_per_day),
        ("user_cost_per_day", user.cost_per_day),
    ):
        _not_negative(option, value)
    settings = BudgetSettings(user=user, models=_model_limits(), conn_id=config_str("cache_conn_id"))
    if settings.any and settings.conn_id is None:
        raise ConfigError(
            "cache_conn_id",
            "",
            "budgets are set but no Redis is: set cache_conn_id to a redis connection, so that "
            "every process shares one count",
        )
    return settings
