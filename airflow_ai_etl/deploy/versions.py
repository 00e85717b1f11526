"""Every version of a DAG that was published, kept where Airflow does not parse it.

Layout, per DAG, under `<dags folder>/ai_etl/.versions/<dag_id>/`:

    0001-<spec sha12>.py.txt   the published source (".txt": Airflow only parses .py files)
    0001-<spec sha12>.yaml     the spec it was rendered from
    history.json               one entry per deploy or rollback, oldest first

Archives are written before the live file is replaced and history after, so the history only
records what happened; a version whose archive exists without a history entry was never live.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from airflow_ai_etl.deploy.atomic import atomic_write

VERSIONS_DIR = ".versions"
_SOURCE_SUFFIX = ".py.txt"
_SPEC_SUFFIX = ".yaml"
_HISTORY = "history.json"

Action = Literal["deploy", "rollback"]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    action: Action
    timestamp: str
    spec_sha256: str
    file_sha256: str


class VersionStore:
    """The kept versions and the deploy/rollback history of one DAG."""

    def __init__(self, root: Path, dag_id: str) -> None:
        self.dag_id = dag_id
        self.directory = root / VERSIONS_DIR / dag_id

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise deploys and rollbacks of this DAG (two would race for the next version number)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def history(self) -> list[HistoryEntry]:
        path = self.directory / _HISTORY
        if not path.exists():
            return []
        return [HistoryEntry(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]

    def record(self, version: int, action: Action, spec_sha256: str, file_sha256: str) -> HistoryEntry:
        entry = HistoryEntry(
            version=version,
            action=action,
            timestamp=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            spec_sha256=spec_sha256,
            file_sha256=file_sha256,
        )
        entries = [asdict(e) for e in [*self.history(), entry]]
        self._write(_HISTORY, json.dumps(entries, indent=2) + "\n")
        return entry

    def live_stack(self) -> list[int]:
        """Versions in the order they went live: a deploy pushes one, a rollback returns to the one below.

        Rolling back twice therefore walks further back instead of toggling between two versions.
        """
        stack: list[int] = []
        for entry in self.history():
            if entry.action == "rollback" and stack:
                stack.pop()
            if not stack or stack[-1] != entry.version:
                stack.append(entry.version)
        return stack

    def archive(self, source: str, spec_text: str, spec_sha256: str) -> int:
        """Keep a new version (source + spec) and return its number."""
        version = max(self._archived(), default=0) + 1
        stem = f"{version:04d}-{spec_sha256[:12]}"
        self._write(f"{stem}{_SPEC_SUFFIX}", spec_text)
        self._write(f"{stem}{_SOURCE_SUFFIX}", source)
        return version

    def source(self, version: int) -> str:
        return self._archived()[version].read_text(encoding="utf-8")

    def spec_text(self, version: int) -> str:
        source_path = self._archived()[version]
        spec_path = source_path.with_name(source_path.name.removesuffix(_SOURCE_SUFFIX) + _SPEC_SUFFIX)
        return spec_path.read_text(encoding="utf-8")

    def version_of(self, text: str) -> int | None:
        """The newest kept version with exactly this source, or None when no version matches."""
        wanted = sha256_text(text)
        matching = [
            v for v, path in self._archived().items() if sha256_text(path.read_text("utf-8")) == wanted
        ]
        return max(matching, default=None)

    def keep_overwritten(self, text: str) -> Path:
        """Save a hand-edited live file before a forced deploy replaces it."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return self._write(f"overwritten-{stamp}{_SOURCE_SUFFIX}", text)

    def _write(self, name: str, text: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(self.directory / name, text)
        return self.directory / name

    def _archived(self) -> dict[int, Path]:
        if not self.directory.is_dir():
            return {}
        found: dict[int, Path] = {}
        for path in self.directory.glob(f"[0-9]*{_SOURCE_SUFFIX}"):
            number = path.name.split("-", 1)[0]
            if number.isdigit():
                found[int(number)] = path
        return found
