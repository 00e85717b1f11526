"""What model usage costs: `[ai_etl] model_prices` where given, else the genai-prices data.

Model ids are pydantic-ai's `provider:model` ("openai:gpt-5"); a price override is USD per million
input and output tokens: `{"openai:gpt-5": {"input_per_mtok": 1.25, "output_per_mtok": 10}}`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from airflow_ai_etl.config import ConfigError, config_json, is_amount

PRICES_OPTION = "model_prices"


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float


def _overrides() -> dict[str, Price]:
    data = config_json(PRICES_OPTION)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(PRICES_OPTION, data, "must be a JSON object of model id -> price")
    prices: dict[str, Price] = {}
    for model, price in data.items():
        if not isinstance(price, dict) or set(price) != {"input_per_mtok", "output_per_mtok"}:
            raise ConfigError(
                PRICES_OPTION, data, f"{model!r} needs exactly input_per_mtok and output_per_mtok (USD)"
            )
        values = [price["input_per_mtok"], price["output_per_mtok"]]
        if not all(map(is_amount, values)):
            raise ConfigError(PRICES_OPTION, data, f"the prices of {model!r} must be numbers >= 0")
        prices[model] = Price(float(values[0]), float(values[1]))
    return prices


@functools.cache
def price_overrides() -> dict[str, Price]:
    return _overrides()


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """The cost of these tokens on `model`, or None when no price is known for it."""
    override = price_overrides().get(model)
    if override is not None:
        return (input_tokens * override.input_per_mtok + output_tokens * override.output_per_mtok) / 1e6
    from genai_prices import Usage, calc_price

    provider, _, name = model.rpartition(":")
    try:
        price = calc_price(
            Usage(input_tokens=input_tokens, output_tokens=output_tokens),
            model_ref=name,
            provider_id=provider or None,
        )
    except LookupError:
        return None
    return float(price.total_price)


def has_price(model: str) -> bool:
    return cost_usd(model, 0, 0) is not None
