"""The settings that decide how long a request waits for its draft (see benchmarks/request_latency.py).

Two of them are Airflow's, not ours, and neither is wrong for Airflow in general, but each costs
every request of the page time it does not need:

- `[scheduler] scheduler_idle_sleep_time` (default 1 s): the scheduler starts a triggered run
  only after its current idle sleep, so a request waits up to one sleep before anything happens.
- The execution API initialises on its first call after an api-server start (seconds, more under
  load): the first request's task waits for it, unless something called it before, e.g. the
  readiness probe. The check calls `GET <execution API>/health`, which is that warm-up.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from airflow_ai_etl.doctor.checks import Finding, _first_line

#: Above this, the scheduler's idle sleep is a noticeable share of the page's ~2 s target.
MAX_IDLE_SLEEP_S = 0.5
#: The execution API answers a warm /health in milliseconds; this long means it was still cold.
COLD_EXECUTION_API_S = 1.0
_PROBE_TIMEOUT_S = 60.0


def check_scheduler_idle_sleep() -> list[Finding]:
    """The scheduler looks for new runs often enough for the page's requests."""
    from airflow.configuration import conf

    sleep = conf.getfloat("scheduler", "scheduler_idle_sleep_time", fallback=1.0)
    name = "scheduler idle sleep"
    if sleep <= MAX_IDLE_SLEEP_S:
        return [Finding(name, True, f"[scheduler] scheduler_idle_sleep_time is {sleep:g} s")]
    message = (
        f"[scheduler] scheduler_idle_sleep_time is {sleep:g} s: each request of the page waits up to "
        "that long before the scheduler starts its generation run"
    )
    fix = "set [scheduler] scheduler_idle_sleep_time = 0.1 (AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME)"
    return [Finding(name, False, message, fix)]


def check_execution_api() -> list[Finding]:
    """Tasks can call back to the execution API, and it is warm (this call warms it)."""
    from airflow.executors.base_executor import get_execution_api_server_url

    name = "execution API"
    url = f"{get_execution_api_server_url().rstrip('/')}/health"
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=_PROBE_TIMEOUT_S) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        fix = "start the api-server, or set [core] execution_api_server_url to where workers reach it"
        return [Finding(name, False, f"the execution API at {url} does not answer: {_first_line(exc)}", fix)]
    took = time.perf_counter() - started
    if status != 200:
        fix = "set [core] execution_api_server_url to the api-server's /execution/ address"
        return [Finding(name, False, f"{url} answered HTTP {status}", fix)]
    warmed = (
        f"; it was cold ({took:.1f} s): this call warmed it, and a readiness probe calling it after each "
        "api-server start spares the first request that wait"
        if took > COLD_EXECUTION_API_S
        else ""
    )
    return [Finding(name, True, f"{url} answers{warmed}")]
