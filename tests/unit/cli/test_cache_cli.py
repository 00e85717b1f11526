"""`ai-etl cache check`: hit or miss first, then why; bad input is a message and a non-zero exit."""

from __future__ import annotations

import json

from tests.support.cli import ai_etl  # noqa: F401  (a fixture)
from tests.unit.cli.test_generate import shop_and_warehouse  # noqa: F401  (a fixture)

CONNS = ("--conn", "shop", "--conn", "warehouse")


def test_a_paraphrase_hits_the_intent_tier(ai_etl, shop_and_warehouse) -> None:  # noqa: F811
    proc = ai_etl(
        "cache", "check", "copy new orders to the warehouse every day at 2am",
        "every day at 02:00 load the new orders into the warehouse", *CONNS,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "hit (intent tier)"


def test_a_different_literal_misses_and_names_the_field_and_values(ai_etl, shop_and_warehouse) -> None:  # noqa: F811
    proc = ai_etl(
        "cache", "check", "copy orders where status = 'paid' to the warehouse",
        "copy orders where status = 'refunded' to the warehouse", *CONNS, "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)
    assert verdict["hit"] is False and verdict["tier"] is None
    differing = [line for line in verdict["why"] if "source.sql" in line]
    assert differing and "'paid'" in differing[0] and "'refunded'" in differing[0]


def test_an_unknown_connection_is_a_clear_error(ai_etl, shop_and_warehouse) -> None:  # noqa: F811
    proc = ai_etl("cache", "check", "copy orders", "copy orders", "--conn", "no_such_conn")
    assert proc.returncode == 1
    assert "--conn no_such_conn" in proc.stderr and "not defined" in proc.stderr


def test_a_bad_cache_setting_is_named(ai_etl, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_TTL", "-5")
    proc = ai_etl("cache", "stats")
    assert proc.returncode == 1
    assert "[ai_etl] cache_ttl" in proc.stderr and "positive" in proc.stderr
