"""docker-compose.yaml: valid Compose, and every command, config key and connection it uses exists in
Airflow 3.3 and this package. (No image can be pulled here, so the stack is checked, not started;
the e2e suite runs the same topology natively.)"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib.util import find_spec
from typing import Any

import pytest
import yaml

from airflow_ai_etl.doctor.providers import EXTRA_FOR_CONN_TYPE, missing_provider
from tests.unit.deployment.conftest import (
    REPO,
    env_options,
    parse_command,
    schema_problems,
    shell_invocations,
)

TEXT = (REPO / "docker-compose.yaml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(TEXT)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
AIRFLOW_SERVICES = {
    name: s for name, s in SERVICES.items() if str(s.get("image", "")).startswith("airflow-ai-etl")
}
# `$${X}` is an escaped dollar (the container's shell expands it), not a compose variable.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(:?-[^}]*)?\}")
#: What the celery provider adds (CLI group and config options); apache/airflow's image has it.
CELERY_HERE = find_spec("airflow.providers.celery") is not None


def _env_example() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _interpolated(value: str) -> str:
    """A value as compose would see it with the .env.example settings (defaults where empty)."""
    settings = _env_example()

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if settings.get(name):
            return settings[name]
        return default.lstrip(":-") if default is not None else f"x-{name.lower()}"

    return VARIABLE.sub(replace, value)


def test_the_file_is_valid_compose() -> None:
    assert schema_problems(COMPOSE, "compose_spec.json") == []


def test_an_invalid_override_is_refused_naming_the_key() -> None:
    broken = json.loads(json.dumps(COMPOSE))
    broken["services"]["airflow-scheduler"]["helthcheck"] = {"test": ["CMD", "true"]}
    broken["services"]["redis"]["depends_on"] = {"postgres": {"condition": "when_ready"}}
    problems = schema_problems(broken, "compose_spec.json")
    assert any(p.startswith("services/airflow-scheduler") and "helthcheck" in p for p in problems)
    assert any(p.startswith("services/redis/depends_on") for p in problems), problems


def test_every_variable_is_in_env_example_and_every_setting_there_is_used() -> None:
    settings = _env_example()
    used = {m.group(1): bool(m.group(2)) for m in VARIABLE.finditer(TEXT)}
    assert [name for name, has_default in used.items() if not has_default and name not in settings] == []
    assert sorted(set(settings) - set(used)) == []


def test_every_airflow_and_ai_etl_command_exists() -> None:
    """Service commands run as `airflow <command>` (the image's entrypoint), healthchecks and the init
    script as written. `airflow celery ...` comes from the celery provider the official image has."""
    problems = []
    for name, service in AIRFLOW_SERVICES.items():
        invocations: list[tuple[str, list[str]]] = []
        command = service.get("command")
        if isinstance(command, list) and "entrypoint" not in service:
            invocations.append(("airflow", command))
        scripts = [*(command if isinstance(command, list) and "entrypoint" in service else [])]
        test = service.get("healthcheck", {}).get("test", [])
        if test[:1] == ["CMD"]:
            invocations.append((test[1], test[2:]) if test[1] in ("airflow", "ai-etl") else ("", []))
        else:
            scripts += test[1:]
        for script in scripts:
            invocations += list(shell_invocations(script))
        for program, args in invocations:
            if not program:
                continue
            if args[:1] == ["celery"] and not CELERY_HERE:
                continue  # not installed here; part of apache/airflow's image
            problem = parse_command(program, args)
            if problem:
                problems.append(f"{name}: {problem}")
    assert problems == []
    assert ("ai-etl", ["install-system-dag"]) in list(
        shell_invocations(" ".join(SERVICES["airflow-init"]["command"]))
    )


def test_every_config_key_exists(airflow_options: Mapping[str, set[str]]) -> None:
    unknown = []
    for name, service in AIRFLOW_SERVICES.items():
        for section, option in env_options(service["environment"]):
            if section == "celery" and not CELERY_HERE:
                continue
            if option not in airflow_options.get(section, set()):
                unknown.append(f"{name}: [{section}] {option}")
    assert unknown == []


def test_every_connection_parses_and_its_provider_is_in_the_image() -> None:
    from airflow.models import Connection

    extras = set(
        re.search(r"ARG AI_ETL_EXTRAS=(\S+)", (REPO / "Dockerfile").read_text()).group(1).split(",")  # type: ignore[union-attr]
    )
    environment = AIRFLOW_SERVICES["airflow-scheduler"]["environment"]
    connections = {
        k.removeprefix("AIRFLOW_CONN_").lower(): v
        for k, v in environment.items()
        if k.startswith("AIRFLOW_CONN_")
    }
    assert {"shop", "warehouse", "lake", "bus"} <= set(connections)
    for conn_id, raw in connections.items():
        value = _interpolated(raw)
        conn = (
            Connection.from_json(value, conn_id=conn_id)
            if value.startswith("{")
            else Connection(conn_id=conn_id, uri=value)
        )
        conn_type = conn.conn_type or ""
        extra = EXTRA_FOR_CONN_TYPE.get(conn_type)
        if extra is not None:
            assert extra in extras, (
                f"{conn_id}: connection type {conn_type} needs the [{extra}] extra in the image"
            )
        else:
            assert missing_provider(conn_type) is None, f"{conn_id}: no provider defines {conn_type!r}"
    llm = _interpolated(environment["AIRFLOW__AI_ETL__LLM_CONN_ID"])
    assert llm in ("", *connections), "AIRFLOW__AI_ETL__LLM_CONN_ID names a connection the stack defines"


@pytest.mark.parametrize("kind", ["volumes", "binds"])
def test_volumes_are_declared_and_mounted_files_exist(kind: str) -> None:
    mounts = [m for s in SERVICES.values() for m in s.get("volumes", [])]
    sources = [m.split(":", 1)[0] for m in mounts]
    if kind == "volumes":
        assert sorted({s for s in sources if not s.startswith(".")} - set(COMPOSE["volumes"])) == []
    else:
        assert [s for s in sources if s.startswith(".") and not (REPO / s).exists()] == []


def test_profiles_are_llm_and_monitoring() -> None:
    profiles = {p for s in SERVICES.values() for p in s.get("profiles", [])}
    assert profiles == {"llm", "monitoring"}
    assert SERVICES["vllm"]["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
