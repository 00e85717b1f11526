"""Run a transform's function over a RecordBatch in a child process that cannot do much harm.

The child (`transforms/_child.py`, started as `python -I -B`) gets:

- resource limits, set by the child before it reads any code: RLIMIT_CPU (CPU seconds),
  RLIMIT_AS (address space), RLIMIT_FSIZE (bytes of any file it writes: none) and RLIMIT_NPROC
  (processes and threads), plus a wall-clock timeout after which its process group is killed;
- an empty environment (no inherited credentials: no AIRFLOW_CONN_*, no cloud keys), cwd `/`;
- its own network namespace (no interface but a downed loopback: every connect fails) and PID
  namespace (a fork bomb dies with its namespace) through util-linux `unshare`: directly when the
  worker runs as root, in a user namespace otherwise; when neither is possible (no `unshare`, user
  namespaces disabled) it runs without them, and `isolation()` says so (the operator logs it);
- when the worker is root, it drops to `nobody` before the code is even compiled, so RLIMIT_NPROC
  binds and other users' files (and /proc/<pid>/environ of the worker) are closed to it.

Data goes in and out as Arrow IPC streams over pipes; the code travels in the first stdin line.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

_CHILD = Path(__file__).with_name("_child.py")
_MIB = 1024 * 1024
#: Bytes the child may write to any file: none (Python itself writes nothing under -B; results
#: leave through the stdout pipe, which RLIMIT_FSIZE does not count).
FILE_SIZE_LIMIT = 0
#: Processes and threads beyond those the worker's user already runs (pyarrow needs a few threads).
EXTRA_PROCESSES = 16
#: Bytes of the child's stderr quoted in an error.
_QUOTED_STDERR = 2_000


class SandboxError(RuntimeError):
    """The transform failed, ran out of a limit, or returned something that is not a RecordBatch."""


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 60
    memory_mb: int = 2048
    timeout_s: float = 120.0


@dataclass(frozen=True)
class Isolation:
    """How the child is isolated beyond its limits and empty environment."""

    prefix: tuple[str, ...]
    network: bool
    as_nobody: bool

    def describe(self) -> str:
        parts = ["no network, own PID namespace" if self.network else "network NOT isolated (no unshare)"]
        if self.as_nobody:
            parts.append("runs as nobody")
        return ", ".join(parts)


@functools.cache
def isolation() -> Isolation:
    """The namespaces this machine lets us use, probed once per process."""
    as_root = os.geteuid() == 0
    unshare = shutil.which("unshare")
    if unshare is not None:
        user = [] if as_root else ["--user", "--map-root-user"]
        prefix = (unshare, *user, "--net", "--pid", "--fork", "--kill-child", "--")
        probe = subprocess.run([*prefix, "/bin/true"], capture_output=True, timeout=30, check=False)
        if probe.returncode == 0:
            return Isolation(prefix, network=True, as_nobody=as_root)
    return Isolation((), network=False, as_nobody=as_root)


def _user_processes() -> int:
    """Processes and threads of this user now: RLIMIT_NPROC counts them all, not just ours."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def _encode(batch: pa.RecordBatch) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def run_transform(
    code: str,
    function: str,
    batch: pa.RecordBatch,
    *,
    allowed_imports: Sequence[str],
    limits: SandboxLimits | None = None,
) -> pa.Table:
    """The function's output for `batch`, computed in the sandbox; SandboxError on any failure."""
    import pyarrow as pa

    limits = limits or SandboxLimits()
    where = isolation()
    header = {"code": code, "function": function, "allowed_imports": list(allowed_imports)}
    payload = json.dumps(header).encode() + b"\n" + _encode(batch)
    # As root the child drops to nobody, whose own processes are the ones that count.
    processes = EXTRA_PROCESSES if where.as_nobody else _user_processes() + EXTRA_PROCESSES
    rlimits = {
        "RLIMIT_CPU": [limits.cpu_seconds, limits.cpu_seconds + 1],
        "RLIMIT_AS": [limits.memory_mb * _MIB] * 2,
        "RLIMIT_FSIZE": [FILE_SIZE_LIMIT] * 2,
        "RLIMIT_NPROC": [processes] * 2,
        "RLIMIT_CORE": [0, 0],
    }
    command = [*where.prefix, sys.executable, "-I", "-B", str(_CHILD), json.dumps(rlimits)]
    if where.as_nobody:
        command.append("--as-nobody")
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"LC_ALL": "C.UTF-8"},
        cwd="/",
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(payload, timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise SandboxError(
            f"the transform took longer than {limits.timeout_s:g} s (wall clock) and was killed"
        ) from None
    finally:
        _kill(proc)
    if proc.returncode != 0:
        raise SandboxError(_failure(proc.returncode, err, limits))
    if not out:
        raise SandboxError("the transform returned no batch")
    try:
        return pa.ipc.open_stream(out).read_all()
    except pa.ArrowInvalid as exc:
        raise SandboxError(f"the transform's output is not an Arrow stream: {exc}") from None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's whole session (whatever it forked and left behind), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _failure(returncode: int, stderr: bytes, limits: SandboxLimits) -> str:
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    said = stderr.decode("utf-8", "replace").strip().splitlines()
    last = said[-1][:_QUOTED_STDERR] if said else ""
    if signum == signal.SIGXCPU:
        return f"the transform used more than {limits.cpu_seconds} s of CPU and was stopped"
    if signum == signal.SIGXFSZ:
        return "the transform tried to write a file, which the sandbox does not allow"
    if signum:
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
        return f"the transform was killed by {name}" + (f": {last}" if last else "")
    return f"the transform failed: {last or f'exit status {returncode}'}"
