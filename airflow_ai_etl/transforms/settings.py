"""`[ai_etl] python_transform_*`: which modules a transform may import, and its sandbox's limits."""

from __future__ import annotations

from airflow_ai_etl.config import ConfigError, config_float, config_int, config_str
from airflow_ai_etl.transforms.checker import DEFAULT_IMPORTS
from airflow_ai_etl.transforms.sandbox import SandboxLimits

IMPORTS_OPTION = "python_transform_imports"


def allowed_imports() -> tuple[str, ...]:
    """The modules a transform may import: a comma-separated list of dotted module names."""
    text = config_str(IMPORTS_OPTION)
    if text is None:
        return DEFAULT_IMPORTS
    modules = tuple(m.strip() for m in text.split(",") if m.strip())
    bad = [m for m in modules if not all(part.isidentifier() for part in m.split("."))]
    if bad or not modules:
        raise ConfigError(
            IMPORTS_OPTION, text, "give a comma-separated list of module names, e.g. json, math"
        )
    return modules


def sandbox_limits() -> SandboxLimits:
    default = SandboxLimits()
    limits = SandboxLimits(
        cpu_seconds=config_int("python_transform_cpu_seconds", default.cpu_seconds),
        memory_mb=config_int("python_transform_memory_mb", default.memory_mb),
        timeout_s=config_float("python_transform_timeout", default.timeout_s),
    )
    for option, value in (
        ("python_transform_cpu_seconds", limits.cpu_seconds),
        ("python_transform_memory_mb", limits.memory_mb),
        ("python_transform_timeout", limits.timeout_s),
    ):
        if value <= 0:
            raise ConfigError(option, value, "must be greater than 0")
    return limits
