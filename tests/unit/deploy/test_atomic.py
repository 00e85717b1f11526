"""atomic_write: the target holds the old text or the new text, never a part, and no temp file stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airflow_ai_etl.deploy.atomic import atomic_write


def test_writes_new_file_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "x.py"
    atomic_write(target, "print('hi')\n")
    assert target.read_text() == "print('hi')\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.py"]


def test_replaces_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "x.py"
    target.write_text("old\n")
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n"


def test_failing_rename_keeps_old_file_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.py"
    target.write_text("old\n")

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        atomic_write(target, "new\n" * 10_000)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.py"]


def test_failing_write_midway_keeps_old_file_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.py"
    target.write_text("old\n")

    def crash(fd: int) -> None:
        raise OSError("simulated disk failure while flushing")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated disk failure"):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.py"]
