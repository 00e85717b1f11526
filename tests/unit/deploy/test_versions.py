"""VersionStore: numbered archives, history, and the live order that rollback walks back through."""

from __future__ import annotations

import json
from pathlib import Path

from airflow_ai_etl.deploy.versions import VersionStore, sha256_text


def test_archive_numbers_versions_and_keeps_source_and_spec(tmp_path: Path) -> None:
    store = VersionStore(tmp_path, "orders")
    first = store.archive("source 1\n", "spec 1\n", "a" * 64)
    second = store.archive("source 2\n", "spec 2\n", "b" * 64)
    assert (first, second) == (1, 2)
    assert store.source(1) == "source 1\n"
    assert store.spec_text(2) == "spec 2\n"
    names = sorted(p.name for p in (tmp_path / ".versions" / "orders").iterdir())
    assert names == ["0001-aaaaaaaaaaaa.py.txt", "0001-aaaaaaaaaaaa.yaml", "0002-bbbbbbbbbbbb.py.txt",
                     "0002-bbbbbbbbbbbb.yaml"]  # fmt: skip
    assert not any(name.endswith(".py") for name in names)  # Airflow must never parse a kept version


def test_version_of_recognises_kept_sources_only(tmp_path: Path) -> None:
    store = VersionStore(tmp_path, "orders")
    store.archive("same\n", "s\n", "a" * 64)
    store.archive("other\n", "s\n", "b" * 64)
    store.archive("same\n", "s\n", "c" * 64)
    assert store.version_of("same\n") == 3
    assert store.version_of("other\n") == 2
    assert store.version_of("edited\n") is None


def test_history_is_json_with_what_happened(tmp_path: Path) -> None:
    store = VersionStore(tmp_path, "orders")
    store.record(1, "deploy", "a" * 64, sha256_text("x"))
    entries = json.loads((tmp_path / ".versions" / "orders" / "history.json").read_text())
    assert entries == [
        {
            "version": 1,
            "action": "deploy",
            "timestamp": entries[0]["timestamp"],
            "spec_sha256": "a" * 64,
            "file_sha256": sha256_text("x"),
        }
    ]
    assert entries[0]["timestamp"].endswith("+00:00")


def test_live_stack_walks_back_on_rollback_and_never_toggles(tmp_path: Path) -> None:
    store = VersionStore(tmp_path, "orders")
    for version in (1, 2, 3):
        store.record(version, "deploy", "s" * 64, "f" * 64)
    assert store.live_stack() == [1, 2, 3]
    store.record(2, "rollback", "s" * 64, "f" * 64)
    assert store.live_stack() == [1, 2]
    store.record(1, "rollback", "s" * 64, "f" * 64)
    assert store.live_stack() == [1]
    store.record(4, "deploy", "s" * 64, "f" * 64)
    assert store.live_stack() == [1, 4]


def test_keep_overwritten_saves_text_outside_the_parsed_files(tmp_path: Path) -> None:
    store = VersionStore(tmp_path, "orders")
    saved = store.keep_overwritten("hand edited\n")
    assert saved.read_text() == "hand edited\n"
    assert saved.name.endswith(".py.txt")
    assert store.version_of("hand edited\n") is None  # a saved edit is not a deployable version
