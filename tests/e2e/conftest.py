"""Real Airflow for end-to-end tests: a migrated PostgreSQL metadata database, Airflow commands and
long-running components as subprocesses, bounded waits, and process logs kept when a test fails.

Airflow runs in subprocesses with an environment built here, never in the test process: the test
process keeps the isolated settings of tests/conftest.py, and each Airflow process reads its
configuration fresh, as it would in production.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg2
import pytest

from tests.conftest import _admin_execute, pg_uri

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
BIN = Path(sys.executable).parent
#: Upper bound for any single wait on Airflow (start-up, parsing, a DAG run).
WAIT_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    """Whether `url` answers 200 right now (a component's health endpoint)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text[-lines:])


@dataclass
class AirflowSession:
    """What all e2e tests share: one AIRFLOW_HOME and one migrated metadata database."""

    home: Path
    metadata_db: str  # database name
    settings: dict[str, str]


@pytest.fixture(scope="session")
def airflow_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowSession]:
    """A fresh PostgreSQL metadata database, migrated once (`airflow db migrate`), dropped at the end."""
    home = tmp_path_factory.mktemp("airflow-home")
    name = f"ai_etl_e2e_meta_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_uri(name).replace(
            "postgresql://", "postgresql+psycopg2://"
        ),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # Two cores are shared with the rest of the suite: keep Airflow's own concurrency small.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        # Every component must sign and accept the same tokens.
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
        "PYTHONUNBUFFERED": "1",
    }
    session = AirflowSession(home=home, metadata_db=name, settings=settings)
    env = {**os.environ, **settings, "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags")}
    try:
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if migrate.returncode != 0:
            pytest.fail(f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}")
        yield session
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Component:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    _log_file: IO[bytes]


@dataclass
class Airflow:
    """One test's Airflow: its own dags folder and logs on the shared metadata database."""

    session: AirflowSession
    dags_folder: Path
    logs: Path
    extra: dict[str, str] = field(default_factory=dict)
    components: list[Component] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        # Built at call time, so AIRFLOW_CONN_* defined by the test (airflow_conn) are passed on.
        return {
            **os.environ,
            **self.session.settings,
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.logs / "tasks"),
            **self.extra,
        }

    def run(
        self, *args: str, timeout: float = WAIT_SECONDS, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run an installed command (`airflow ...`, `ai-etl ...`) to completion; its output is kept."""
        started = time.monotonic()
        result = subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        took = time.monotonic() - started
        self.commands.append(
            f"$ {' '.join(args)}  # exit {result.returncode}, {took:.1f}s\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n"
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"`{' '.join(args)}` exited {result.returncode}\n"
                f"--- stdout (end)\n{result.stdout[-4000:]}\n--- stderr (end)\n{result.stderr[-4000:]}"
            )
        return result

    def start(self, name: str, *args: str) -> Component:
        """Start a long-running Airflow component (`airflow <args>`) in its own process group."""
        log = self.logs / f"{name}.log"
        log_file = log.open("wb")
        process = subprocess.Popen(
            [str(BIN / "airflow"), *args],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        component = Component(name, process, log, log_file)
        self.components.append(component)
        return component

    def stop_all(self) -> None:
        """SIGTERM each component's process group, then SIGKILL whatever is left of it (workers)."""
        for component in self.components:
            _signal_group(component.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for component in self.components:
            with contextlib.suppress(subprocess.TimeoutExpired):
                component.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(component.process.pid, signal.SIGKILL)
            component.process.wait(timeout=10)
            component._log_file.close()
        self.components.clear()

    def diagnostics(self) -> str:
        """The end of every component's log, and whether it is still running."""
        parts = []
        for component in self.components:
            state = component.process.poll()
            status = "running" if state is None else f"exited {state}"
            parts.append(f"===== {component.name} ({status}): {component.log}\n{_tail(component.log)}")
        return "\n".join(parts)

    def wait_until(
        self, what: str, predicate: Callable[[], Any], timeout: float = WAIT_SECONDS, interval: float = 1.0
    ) -> Any:
        """Poll `predicate` until it returns something truthy; fail with the components' logs if not."""
        deadline = time.monotonic() + timeout
        while True:
            for component in self.components:
                if component.process.poll() is not None:
                    pytest.fail(f"{component.name} exited while waiting for {what}\n{self.diagnostics()}")
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{self.diagnostics()}")
            time.sleep(interval)

    def metadata_query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read Airflow's metadata database directly (cheaper than an `airflow` command per poll)."""
        return query(pg_uri(self.session.metadata_db), sql, params)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def query(uri: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params or None)  # no params: a literal % stays a %
            return list(cur.fetchall()) if cur.description else []
    finally:
        conn.commit()
        conn.close()


_FAILED = pytest.StashKey[set[str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    if report.failed:
        item.stash.setdefault(_FAILED, set()).add(report.when)
    return report


@pytest.fixture
def airflow(
    airflow_session: AirflowSession, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Airflow]:
    """This test's Airflow; components are stopped afterwards, and on failure the dags folder,
    command transcripts and process/task logs are copied to test-artifacts/<test name>/."""
    instance = Airflow(session=airflow_session, dags_folder=tmp_path / "dags", logs=tmp_path / "logs")
    instance.dags_folder.mkdir()
    instance.logs.mkdir()
    try:
        yield instance
    finally:
        instance.stop_all()
        if request.node.stash.get(_FAILED, set()):
            target = ARTIFACTS / request.node.name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(instance.logs, target / "logs")
            shutil.copytree(instance.dags_folder, target / "dags")
            (target / "commands.log").write_text("\n".join(instance.commands))
