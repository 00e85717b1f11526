"""The committed browser bundle is the build of the committed lock file and sources.

`scripts/build_ui.sh` writes `static/vendor/BUILD.json` with the sha256 of ui/package-lock.json,
of ui/src and ui/build.mjs, and of every file it wrote; here those are compared with the files as
committed, so a changed lock file or source without a rebuild (or a hand-edited bundle) fails.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
UI = REPO / "ui"
VENDOR = REPO / "airflow_ai_etl" / "plugins" / "static" / "vendor"
MANIFEST = json.loads((VENDOR / "BUILD.json").read_text(encoding="utf-8"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_bundle_was_built_from_the_committed_lock_file() -> None:
    assert MANIFEST["package_lock_sha256"] == _sha256(UI / "package-lock.json"), "run scripts/build_ui.sh"


@pytest.mark.parametrize("source", ["src/review.js", "build.mjs"])
def test_the_bundle_was_built_from_the_committed_sources(source: str) -> None:
    assert MANIFEST["sources_sha256"][source] == _sha256(UI / source), "run scripts/build_ui.sh"


def test_every_built_file_is_as_built() -> None:
    assert MANIFEST["files"], MANIFEST
    for name, digest in MANIFEST["files"].items():
        assert _sha256(VENDOR / name) == digest, f"{name} differs from its build: run scripts/build_ui.sh"


def test_the_lock_file_pins_what_package_json_asks_for() -> None:
    wanted = json.loads((UI / "package.json").read_text(encoding="utf-8"))["dependencies"]
    lock = json.loads((UI / "package-lock.json").read_text(encoding="utf-8"))
    assert set(wanted) <= set(MANIFEST["packages"])
    for name in wanted:
        assert lock["packages"][f"node_modules/{name}"]["version"] == MANIFEST["packages"][name]
