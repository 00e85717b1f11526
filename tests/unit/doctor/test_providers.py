"""Which extra a connection type needs, read from the installed distribution's own metadata."""

from __future__ import annotations

from importlib import metadata

import pytest

from airflow_ai_etl.doctor import providers
from airflow_ai_etl.doctor.providers import EXTRA_FOR_CONN_TYPE, extra_requirements, missing_provider


def test_every_extra_named_exists_and_installs_something() -> None:
    declared = set(metadata.metadata("airflow-ai-etl").get_all("Provides-Extra") or [])
    for conn_type, extra in EXTRA_FOR_CONN_TYPE.items():
        assert extra in declared, conn_type
        assert extra_requirements(extra), extra


def test_a_missing_provider_names_the_extra_that_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert missing_provider("postgres") is None  # the dev install has every extra
    absent = {"apache-airflow-providers-postgres"}
    monkeypatch.setattr(providers, "_installed", lambda name: name not in absent)
    missing = missing_provider("Postgres")
    assert missing is not None
    assert missing.message == (
        "connection type 'postgres' cannot be used here: apache-airflow-providers-postgres"
    )
    assert missing.fix.startswith("pip install 'airflow-ai-etl[postgres]' where Airflow runs")
    assert "restart" in missing.fix


def test_types_outside_the_extras_are_checked_against_airflows_registry() -> None:
    assert missing_provider("http") is None  # defined by an installed provider
    assert missing_provider("") is None
    unknown = missing_provider("teradata")
    assert unknown is not None and unknown.extra is None
    assert "provider package that defines connection type 'teradata'" in unknown.fix


def test_a_redis_connection_needs_only_redis_py_of_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(providers, "_installed", lambda name: name != "sentence-transformers")
    assert missing_provider("redis") is None
    monkeypatch.setattr(providers, "_installed", lambda name: name != "redis")
    missing = missing_provider("redis")
    assert missing is not None and missing.missing == ("redis",)
    assert missing.fix.startswith("pip install 'airflow-ai-etl[memory]'")
