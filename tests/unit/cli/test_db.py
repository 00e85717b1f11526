"""`ai-etl db upgrade` migrates the configured store; a downgrade and a newer store are refused with
a message and exit 1 (main() raises nothing: no traceback)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from airflow_ai_etl.cli import main
from airflow_ai_etl.store.migrate import VERSION_TABLE, head


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.db"
    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", f"sqlite:///{path}")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Exit code and the last line on stderr (Alembic logs its steps before it)."""
    code = main(list(args))
    return code, capsys.readouterr().err.strip().splitlines()[-1]


def test_upgrade_migrates_once_and_says_so(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "db", "upgrade") == (
        0,
        f"store sqlite:///{store}: upgraded from revision none to {head()}",
    )
    assert _run(capsys, "db", "upgrade") == (0, f"store sqlite:///{store}: already at revision {head()}")
    with sqlite3.connect(store) as db:
        assert db.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall() == [(head(),)]


def test_downgrade_and_a_newer_store_are_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "db", "upgrade")[0] == 0
    code, err = _run(capsys, "db", "downgrade", "0001")
    assert code == 1 and f"cannot be downgraded below revision {head()}" in err
    with sqlite3.connect(store) as db:
        db.execute(f"UPDATE {VERSION_TABLE} SET version_num = '9001'")
    code, err = _run(capsys, "db", "upgrade")
    assert code == 1 and "revision 9001" in err and f"schema revision {head()}" in err
