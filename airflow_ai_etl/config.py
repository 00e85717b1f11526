"""Reading `[ai_etl]` options with errors that name the option (a misconfiguration is a clear
start-up error, not a traceback deep inside a run)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

SECTION = "ai_etl"

_N = TypeVar("_N", int, float)


class ConfigError(ValueError):
    """An `[ai_etl]` option whose value cannot be used."""

    def __init__(self, option: str, value: object, problem: str) -> None:
        super().__init__(f"[{SECTION}] {option} = {value!r}: {problem}")
        self.option = option


def is_amount(value: object) -> bool:
    """A JSON number of 0 or more (a limit or a price), not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def config_str(option: str) -> str | None:
    """The option's text, stripped; None when unset or empty."""
    from airflow.sdk import conf

    value = conf.get(SECTION, option, fallback=None)
    return value.strip() or None if isinstance(value, str) else None


def config_float(option: str, default: float) -> float:
    return _config_number(option, default, float, "a number")


def config_int(option: str, default: int) -> int:
    return _config_number(option, default, int, "a whole number")


def _config_number(option: str, default: _N, parse: Callable[[str], _N], what: str) -> _N:
    text = config_str(option)
    if text is None:
        return default
    try:
        return parse(text)
    except ValueError:
        raise ConfigError(option, text, f"is not {what}") from None


def config_json(option: str) -> Any:
    """The option parsed as JSON; None when unset."""
    text = config_str(option)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(option, text, f"is not JSON ({exc})") from None


def check_settings() -> None:
    """Check the LLM cache's and the budgets' options at start-up (api-server, `ai-etl generate`):
    raises ConfigError naming the first option that cannot be used."""
    from airflow_ai_etl.budgets.limiter import build_budgets
    from airflow_ai_etl.budgets.settings import budget_settings
    from airflow_ai_etl.cache.settings import cache_settings

    cache_settings()
    build_budgets(budget_settings())
