"""The contrast set: paraphrases must hit, near-identical requests must miss (0 wrong hits, >= 80% right).

Every pair goes through `cache.check.compare`, the rule `ai-etl cache check` prints and the
model-call keys follow (test_calls.py shows a real planner call obeying the same verdicts).
"""

from __future__ import annotations

from airflow_ai_etl.cache.check import compare
from tests.unit.cache.conftest import contrast_catalogs, contrast_pairs


def test_the_set_is_large_enough_and_covers_both_sides() -> None:
    pairs = contrast_pairs()
    assert len(pairs["hit"]) + len(pairs["miss"]) >= 40
    assert len(pairs["hit"]) >= 15
    assert len(pairs["miss"]) >= 25


def test_no_near_identical_pair_shares_an_answer() -> None:
    catalogs = contrast_catalogs()
    wrong = [(a, b) for a, b in contrast_pairs()["miss"] if compare(a, b, catalogs).hit]
    assert wrong == []


def test_at_least_80_percent_of_paraphrases_hit() -> None:
    catalogs = contrast_catalogs()
    pairs = contrast_pairs()["hit"]
    verdicts = [compare(a, b, catalogs) for a, b in pairs]
    assert all(v.tier == "intent" for v in verdicts if v.hit)
    rate = sum(v.hit for v in verdicts) / len(pairs)
    assert rate >= 0.8, [(a, b, v.to_text()) for (a, b), v in zip(pairs, verdicts, strict=True) if not v.hit]


def test_a_miss_names_the_differing_intent_field_and_values() -> None:
    verdict = compare(
        "copy orders where status = 'paid' to the warehouse",
        "copy orders where status = 'refunded' to the warehouse",
        contrast_catalogs(),
    )
    assert not verdict.hit
    text = verdict.to_text()
    assert text.startswith("miss")
    assert "source.sql" in text and "'paid'" in text and "'refunded'" in text


def test_a_request_the_parse_cannot_read_has_no_intent_and_only_hits_exactly() -> None:
    catalogs = contrast_catalogs()
    vague = "copy the important stuff somewhere safe"
    assert compare(vague, vague, catalogs).tier == "exact"
    verdict = compare(vague, "copy the important stuff somewhere safe, please", catalogs)
    assert not verdict.hit
    assert "has no intent" in verdict.to_text()


def test_a_name_the_parse_linked_by_meaning_gives_no_intent(monkeypatch) -> None:
    """A planner that resolves a word to a column by similarity ('price' -> amount) must not make two
    different words one intent: such a request can only hit exactly."""
    from airflow_ai_etl.agents import offline
    from airflow_ai_etl.cache.intent import read_intent

    catalogs = contrast_catalogs()
    request = "copy orders where price > 10 to the warehouse"
    planned = offline.plan_offline("copy orders where amount > 10 to the warehouse", catalogs)
    linked = planned.model_copy(
        update={
            "understood": [*planned.understood, "filter column linked by meaning: price -> amount (0.71)"]
        }
    )
    monkeypatch.setattr(offline, "plan_offline", lambda *_args, **_kwargs: linked)
    reading = read_intent(request, catalogs)
    assert reading.intent is None
    assert "by similarity" in (reading.reason or "")
