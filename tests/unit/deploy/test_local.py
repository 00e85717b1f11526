"""The publish layer on any source text: atomic publish, versions, rollback, refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from airflow.utils.file import list_py_file_paths

from airflow_ai_etl.deploy import DeployError
from airflow_ai_etl.deploy.local import dag_file_path, publish, roll_back
from tests.unit.deploy.conftest import broken_source, generated_source


def _publish(dags: Path, source: str, *, spec: str = "spec\n", force: bool = False, dag_id: str = "orders"):
    return publish(dags, dag_id=dag_id, source=source, spec_text=spec, spec_sha256="a" * 64, force=force)


def _history(dags: Path, dag_id: str = "orders") -> list[dict[str, object]]:
    return json.loads((dags / "ai_etl" / ".versions" / dag_id / "history.json").read_text())


def _leftovers(dags: Path) -> list[str]:
    return [p.name for p in (dags / "ai_etl").rglob("*") if p.name.endswith(".tmp")]


def test_publish_writes_file_spec_version_and_ignore_file(tmp_path: Path) -> None:
    source = generated_source("orders")
    publication = _publish(tmp_path, source, spec="dag_id: orders\n")
    path = tmp_path / "ai_etl" / "orders.py"
    assert publication.path == path == dag_file_path(tmp_path, "orders")
    assert (publication.version, publication.action) == (1, "deploy")
    assert path.read_text() == source
    assert (tmp_path / "ai_etl" / "orders.yaml").read_text() == "dag_id: orders\n"
    assert [e["action"] for e in _history(tmp_path)] == ["deploy"]
    assert ".versions/" in (tmp_path / "ai_etl" / ".airflowignore").read_text().splitlines()
    assert _leftovers(tmp_path) == []

    again = _publish(tmp_path, source, spec="dag_id: orders\n")
    assert (again.version, again.action) == (1, "unchanged")
    assert len(_history(tmp_path)) == 1


def test_missing_dags_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="does not exist"):
        _publish(tmp_path / "nope", generated_source("orders"))


def test_import_error_publishes_nothing_and_previous_version_stays_live(tmp_path: Path) -> None:
    good = generated_source("orders")
    _publish(tmp_path, good, spec="good\n")
    with pytest.raises(DeployError) as raised:
        _publish(tmp_path, broken_source("orders"), spec="bad\n")
    assert "failed Airflow's import check" in raised.value.message
    assert "no_such_module_for_ai_etl" in raised.value.import_errors["orders.py"]
    assert (tmp_path / "ai_etl" / "orders.py").read_text() == good
    assert (tmp_path / "ai_etl" / "orders.yaml").read_text() == "good\n"
    assert len(_history(tmp_path)) == 1
    assert _leftovers(tmp_path) == []


def test_wrong_dag_id_in_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployError) as raised:
        _publish(tmp_path, generated_source("someone_else"))
    assert "exactly the DAG 'orders'" in raised.value.import_errors["orders.py"]
    assert not (tmp_path / "ai_etl" / "orders.py").exists()


def test_crash_while_replacing_live_file_keeps_old_pair_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = generated_source("orders")
    _publish(tmp_path, old, spec="old\n")
    real_replace = os.replace

    def crash_on_dag_file(src: str, dst: str) -> None:
        if str(dst).endswith("orders.py"):
            raise OSError("simulated crash replacing the DAG file")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_dag_file)
    with pytest.raises(OSError, match="simulated crash"):
        _publish(tmp_path, generated_source("orders", note="v2"), spec="new\n")
    assert (tmp_path / "ai_etl" / "orders.py").read_text() == old
    assert (tmp_path / "ai_etl" / "orders.yaml").read_text() == "old\n"
    assert len(_history(tmp_path)) == 1
    assert _leftovers(tmp_path) == []

    monkeypatch.setattr(os, "replace", real_replace)
    retry = _publish(tmp_path, generated_source("orders", note="v2"), spec="new\n")
    assert retry.action == "deploy"
    assert (tmp_path / "ai_etl" / "orders.yaml").read_text() == "new\n"


def test_rollback_walks_back_through_versions(tmp_path: Path) -> None:
    v1, v2, v3 = (generated_source("orders", note=n) for n in ("v1", "v2", "v3"))
    for number, source in enumerate((v1, v2, v3), start=1):
        _publish(tmp_path, source, spec=f"spec {number}\n")
    live = tmp_path / "ai_etl" / "orders.py"
    # Kept versions are not .py files, and the .airflowignore hides their folder: Airflow sees one file.
    listed = [Path(p).relative_to(tmp_path).as_posix() for p in list_py_file_paths(tmp_path, safe_mode=False)]
    assert listed == ["ai_etl/orders.py"]

    first = roll_back(tmp_path, "orders")
    assert (first.version, first.action) == (2, "rollback")
    assert live.read_text() == v2
    assert (tmp_path / "ai_etl" / "orders.yaml").read_text() == "spec 2\n"

    second = roll_back(tmp_path, "orders")
    assert second.version == 1
    assert live.read_text() == v1

    with pytest.raises(DeployError, match="version 1 is the first deployed version"):
        roll_back(tmp_path, "orders")
    assert [(e["action"], e["version"]) for e in _history(tmp_path)] == [
        ("deploy", 1), ("deploy", 2), ("deploy", 3), ("rollback", 2), ("rollback", 1)
    ]  # fmt: skip

    # A new deploy after rolling back gets a new number (rolling back from it: see test_versions).
    assert _publish(tmp_path, v3).version == 4


def test_rollback_of_unknown_dag_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="'ghost': it was never deployed"):
        roll_back(tmp_path, "ghost")


def test_foreign_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "ai_etl" / "orders.py"
    path.parent.mkdir()
    path.write_text("# my own DAG\n")
    for force in (False, True):
        with pytest.raises(DeployError, match="not generated by airflow-ai-etl"):
            _publish(tmp_path, generated_source("orders"), force=force)
    assert path.read_text() == "# my own DAG\n"


def test_hand_edited_file_is_refused_unless_forced(tmp_path: Path) -> None:
    _publish(tmp_path, generated_source("orders"))
    path = tmp_path / "ai_etl" / "orders.py"
    edited = path.read_text() + "# a hand edit\n"
    path.write_text(edited)

    with pytest.raises(DeployError, match="changed after airflow-ai-etl wrote it"):
        _publish(tmp_path, generated_source("orders", note="v2"))
    with pytest.raises(DeployError, match="changed after airflow-ai-etl wrote it"):
        roll_back(tmp_path, "orders")
    assert path.read_text() == edited

    forced = _publish(tmp_path, generated_source("orders", note="v2"), force=True)
    assert forced.action == "deploy"
    assert path.read_text() == generated_source("orders", note="v2")
    assert forced.overwritten_copy is not None
    assert forced.overwritten_copy.read_text() == edited


@pytest.mark.parametrize("dag_id", ["../../escaped", "a/b", "bad id!", ""])
def test_rollback_of_something_that_is_not_a_dag_id_touches_nothing(tmp_path: Path, dag_id: str) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    with pytest.raises(DeployError, match="is not a dag_id"):
        roll_back(dags, dag_id)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["dags"]
