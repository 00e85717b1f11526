"""What the deployment files (docker-compose.yaml, helm-values/, Dockerfile) are checked against:
Airflow's own CLI parser and configuration, and this package's CLI and connection types."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"


#: The draft each vendored schema is written in (the compose one names its draft by an unusual URI).
_DRAFTS: dict[str, type[Any]] = {
    "compose_spec.json": jsonschema.Draft201909Validator,
    "airflow_chart_values.schema.json": jsonschema.Draft7Validator,
}


def schema_problems(document: object, schema_file: str) -> list[str]:
    """Every place `document` breaks the vendored JSON schema, as 'path: message'."""
    schema = json.loads((DATA / schema_file).read_text())
    validator = _DRAFTS[schema_file](schema)
    return sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    )


@pytest.fixture(scope="session")
def airflow_options() -> Mapping[str, set[str]]:
    """Config sections and their options, Airflow's and every installed provider's (ours included)."""
    from airflow.configuration import conf

    return {name: set(section["options"]) for name, section in conf.configuration_description.items()}


def _subcommands(parser: argparse.ArgumentParser) -> Mapping[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def parse_command(command: str, args: list[str]) -> str | None:
    """Why `command args` (`airflow ...` or `ai-etl ...`) is not a valid invocation, or None."""
    if command == "airflow":
        from airflow.cli.cli_parser import get_parser

        parser = get_parser()
    else:
        from airflow_ai_etl.cli import build_parser

        parser = build_parser()
    if args and args[0] not in _subcommands(parser):
        return f"`{command} {args[0]}` is not a command"
    try:
        parser.parse_args(args)
    except SystemExit:
        return f"`{command} {shlex.join(args)}` does not parse"
    return None


def shell_invocations(text: str) -> Iterator[tuple[str, list[str]]]:
    """`airflow ...` / `ai-etl ...` invocations inside a shell command line."""
    for part in re.split(r"&&|\|\||;|\|", text):
        words = shlex.split(part.strip())
        if words and words[0] in ("airflow", "ai-etl"):
            yield words[0], words[1:]


def env_options(environment: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(section, option) of every AIRFLOW__SECTION__OPTION variable."""
    for name in environment:
        if name.startswith("AIRFLOW__"):
            section, option = name.removeprefix("AIRFLOW__").lower().split("__", 1)
            yield section, option
