"""Request -> draft ready, through a real api-server, scheduler, dag-processor and LocalExecutor.

    python benchmarks/request_latency.py [--requests 5] [--sql-alchemy-conn URL] [--idle-sleep S]

Sets up its own AIRFLOW_HOME (SQLite metadata unless --sql-alchemy-conn names e.g. PostgreSQL, the
demo shop and an empty warehouse as connections, SimpleAuthManager), installs the system DAG
`ai_etl_generate`, starts the api-server, scheduler and dag-processor, waits until the system DAG
is parsed, then posts offline requests (`POST /ai-etl/api/requests`) one after another and polls
`GET /ai-etl/api/requests/{id}` every 50 ms until each is ready, as the page does.

The first request after the api-server's start is reported apart (it pays one-time warm-ups), then
the median of the others. Each request is split into segments by Airflow's own timestamps (the
run's queued_at and start_date, the task instance's queued_when, start_date and end_date, read
through Airflow's REST API):

    trigger -> run queued        POST until Airflow stored the run
    run queued -> run started    the scheduler picks the queued run up (its idle sleep)
    run started -> task queued   the scheduler schedules and queues the task
    task queued -> task started  the executor starts a task process (imports of the runner)
    task started -> task ended   the task itself: imports on its path, agents, validation, render
    task ended -> ready seen     the api-server copies the result into the store on the next poll

Targets: warm median <= 2 s, first request after start <= 5 s. `--idle-sleep` sets
`[scheduler] scheduler_idle_sleep_time` (default: Airflow's own, 1 s) to see what it costs;
`--warm-execution-api` calls `GET /execution/health` once before the first request, to see what
warming Airflow's execution API after a start saves the first task.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from api_latency import BIN, REQUEST, environment, free_port, run, wait_healthy

TARGET_WARM_S = 2.0
TARGET_FIRST_S = 5.0
SYSTEM_DAG = "ai_etl_generate"
SEGMENTS = [
    "trigger -> run queued",
    "run queued -> run started",
    "run started -> task queued",
    "task queued -> task started",
    "task started -> task ended",
    "task ended -> ready seen",
]


def _at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def segments(client: Any, run_id: str, posted: dt.datetime, seen: dt.datetime) -> list[float | None]:
    """Seconds per segment, from the run's and its task instance's timestamps in Airflow."""
    runs = f"/api/v2/dags/{SYSTEM_DAG}/dagRuns/{run_id}"
    dag_run = client.get(runs).json()
    [task] = client.get(f"{runs}/taskInstances").json()["task_instances"]
    marks = [
        posted,
        _at(dag_run["queued_at"]),
        _at(dag_run["start_date"]),
        _at(task["queued_when"]),
        _at(task["start_date"]),
        _at(task["end_date"]),
        seen,
    ]
    return [(b - a).total_seconds() if a and b else None for a, b in itertools.pairwise(marks)]


def one_request(client: Any, timeout: float = 180) -> tuple[float, list[float | None]]:
    """POST a request, poll it until ready; its wall time and its segments."""
    posted = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    body = {"request": REQUEST, "conn_ids": ["shop", "warehouse"], "offline": True}
    created = client.post("/ai-etl/api/requests", json=body)
    if created.status_code != 202:
        raise SystemExit(f"POST /ai-etl/api/requests: {created.status_code} {created.text}")
    request_id = created.json()["id"]
    while time.perf_counter() - started < timeout:
        state = client.get(f"/ai-etl/api/requests/{request_id}").json()
        if state["state"] in ("ready", "failed"):
            if state["state"] == "failed":
                raise SystemExit(f"request {request_id} failed: {state['error']}")
            elapsed = time.perf_counter() - started
            return elapsed, segments(client, state["dag_run_id"], posted, dt.datetime.now(dt.UTC))
        time.sleep(0.05)
    raise SystemExit(f"request {request_id} not ready after {timeout:.0f} s")


def _start(env: dict[str, str], home: Path, *args: str) -> subprocess.Popen[bytes]:
    log = (home / f"{args[0]}.log").open("wb")
    return subprocess.Popen(
        [str(BIN / "airflow"), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def with_bytecode(env: dict[str, str], home: Path) -> None:
    """Byte-compile the package once, as installing a wheel does, and let the processes use it.

    Each task process imports the package afresh; with PYTHONDONTWRITEBYTECODE (set in some
    development shells) every one of them would compile its modules from source again (~0.9 s
    on the generation task's path), which no installed deployment pays.
    """
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    package = "os.path.dirname(airflow_ai_etl.__file__)"
    compile_it = f"import compileall, os, airflow_ai_etl; compileall.compile_dir({package}, quiet=1)"
    run(env, sys.executable, "-c", compile_it)


def _wait_parsed(client: Any, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(f"/api/v2/dags/{SYSTEM_DAG}").status_code == 200:
            return
        time.sleep(1)
    raise SystemExit(f"{SYSTEM_DAG} not parsed after {timeout:.0f} s")


def report(first: tuple[float, list[float | None]], warm: list[tuple[float, list[float | None]]]) -> None:
    def row(label: str, total: float, parts: list[float | None]) -> str:
        shown = "  ".join(f"{p:5.2f}" if p is not None else "    -" for p in parts)
        return f"{label:12} {total:6.2f} s  | {shown}"

    print(f"\n{'':12} {'total':>8}  | " + "  ".join(f"[{i + 1}]" for i in range(len(SEGMENTS))))
    print(row("first", *first))
    for index, (total, parts) in enumerate(warm, 2):
        print(row(f"request {index}", total, parts))
    print("segments: " + "; ".join(f"[{i + 1}] {name}" for i, name in enumerate(SEGMENTS)))
    median = statistics.median(total for total, _ in warm) if warm else float("nan")
    for name, column in zip(SEGMENTS, zip(*(parts for _, parts in warm), strict=False), strict=False):
        known = [value for value in column if value is not None]
        if known:
            print(f"  warm median {name:28} {statistics.median(known):5.2f} s")
    print(
        f"first request after start {first[0]:.2f} s (target <= {TARGET_FIRST_S:.0f} s: "
        f"{'met' if first[0] <= TARGET_FIRST_S else 'missed'}); warm median {median:.2f} s "
        f"(target <= {TARGET_WARM_S:.0f} s: {'met' if median <= TARGET_WARM_S else 'missed'}); "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5, help="requests after the first one")
    parser.add_argument("--sql-alchemy-conn", help="metadata database URL (default: SQLite in a temp home)")
    parser.add_argument("--idle-sleep", help="[scheduler] scheduler_idle_sleep_time, seconds")
    parser.add_argument(
        "--warm-execution-api",
        action="store_true",
        help="call GET /execution/health once after the api-server's start, as a deployment's probe would",
    )
    args = parser.parse_args()
    import tempfile

    import httpx

    home = Path(tempfile.mkdtemp(prefix="ai-etl-request-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(home, args.sql_alchemy_conn, port, workers=1)
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
            "AIRFLOW__API__BASE_URL": base,
        }
    )
    if args.idle_sleep:
        env["AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"] = args.idle_sleep
    with_bytecode(env, home)
    print(f"AIRFLOW_HOME {home}; migrating, installing the system DAG ...", file=sys.stderr)
    run(env, str(BIN / "airflow"), "db", "migrate")
    run(env, str(BIN / "ai-etl"), "install-system-dag", "--dags-folder", str(home / "dags"))
    processes = [_start(env, home, "api-server", "--host", "127.0.0.1", "--port", str(port))]
    try:
        processes += [_start(env, home, "scheduler"), _start(env, home, "dag-processor")]
        wait_healthy(base, processes[0], home / "api-server.log")
        token = httpx.post(f"{base}/auth/token", json={"username": "bench", "password": "bench-pw"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            _wait_parsed(client)
            if args.warm_execution_api:
                warmed = time.perf_counter()
                client.get("/execution/health").raise_for_status()
                took = time.perf_counter() - warmed
                print(f"GET /execution/health after start: {took:.2f} s", file=sys.stderr)
            first = one_request(client)
            warm = [one_request(client) for _ in range(args.requests)]
    finally:
        _stop(processes)
    report(first, warm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
