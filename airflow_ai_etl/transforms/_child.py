"""The sandboxed side of a transform run: the only place a transform's code is ever executed.

Started by `transforms.sandbox` as `python -I -B <this file> RLIMITS [--as-nobody]` (no
environment, no user site, no script directory on sys.path) and, where the system allows, in its
own network and PID namespaces. It sets the resource limits it is given before anything else,
imports nothing of airflow_ai_etl or Airflow (there is nothing worth reaching from here), and
with `--as-nobody` (the worker runs as root) drops to `nobody` after importing the allowed
modules and before it compiles the code. The work runs in a forked child; this process only
waits for it and reports how it ended.

Protocol: stdin holds one JSON line (code, function name, allowed imports) followed by an Arrow IPC
stream of input batches; stdout gets an Arrow IPC stream of the output batches, one per input
batch. A failure is one line on stderr and exit status 1; a limit that kills the work shows as
128 + the signal.
"""

import builtins
import json
import os
import sys
from collections.abc import Callable
from typing import Any

_NOBODY = 65534
_HIDDEN_BUILTINS = (
    "open",
    "exec",
    "eval",
    "compile",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "input",
    "breakpoint",
    "help",
)


def _drop_privileges() -> None:
    """Root in the worker (a container) must not stay root in here: run as `nobody`."""
    if "--as-nobody" in sys.argv[1:]:
        os.setgroups([])
        os.setgid(_NOBODY)
        os.setuid(_NOBODY)


def _guarded_import(allowed: frozenset[str]) -> Callable[..., Any]:
    real_import = builtins.__import__

    def guarded(
        name: str,
        globals: Any = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        if level or name not in allowed:
            raise ImportError(f"import of {name!r} is not allowed in a transform")
        return real_import(name, globals, locals, fromlist, level)

    return guarded


def _function(code: str, name: str, allowed: list[str]) -> Callable[[Any], Any]:
    """Run the module body (imports and one def) in a namespace with a narrowed set of builtins."""
    safe_builtins = {k: v for k, v in vars(builtins).items() if k not in _HIDDEN_BUILTINS}
    safe_builtins["__import__"] = _guarded_import(frozenset(allowed))
    namespace: dict[str, Any] = {"__builtins__": safe_builtins, "__name__": "transform"}
    exec(compile(code, "<transform>", "exec"), namespace)  # the one deliberate exec: inside the sandbox
    function: Callable[[Any], Any] = namespace[name]
    return function


def _as_batches(result: Any, pa: Any) -> list[Any]:
    if isinstance(result, pa.RecordBatch):
        return [result]
    if isinstance(result, pa.Table):
        return result.to_batches() or [pa.RecordBatch.from_pylist([], schema=result.schema)]
    raise TypeError(f"the function returned {type(result).__name__}; it must return a pyarrow RecordBatch")


def main() -> int:
    header = json.loads(sys.stdin.buffer.readline())
    import importlib

    import pyarrow as pa

    # Imported while the interpreter's own files are still readable (as root they may not be for
    # `nobody`); the code's imports then find them loaded.
    for module in header["allowed_imports"]:
        importlib.import_module(module)
    _drop_privileges()
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    transform = _function(header["code"], header["function"], header["allowed_imports"])
    reader = pa.ipc.open_stream(sys.stdin.buffer)
    writer = None
    for batch in reader:
        for out in _as_batches(transform(batch), pa):
            if writer is None:
                writer = pa.ipc.new_stream(sys.stdout.buffer, out.schema)
            writer.write_batch(out)
    if writer is not None:
        writer.close()
    sys.stdout.buffer.flush()
    return 0


def _work() -> int:
    try:
        return main()
    except MemoryError:
        print("MemoryError: the transform exceeded its memory limit", file=sys.stderr)
    except BaseException as error:  # reported as one line: the parent quotes it in its finding
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
    return 1


def _limit(rlimits: str) -> None:
    """The limits the parent chose (JSON: RLIMIT name -> [soft, hard]), before any code is read."""
    import resource

    for name, (soft, hard) in json.loads(rlimits).items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def _supervise() -> int:
    """Run the work in a forked process and exit as a shell would (128 + signal when killed).

    In a PID namespace this process is its init: its exit ends every process the code forked,
    and its exit status (not a signal, which `unshare` cannot pass on) tells the parent why the
    work ended, e.g. SIGXCPU for the CPU limit.
    """
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            status = _work()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    _limit(sys.argv[1])
    sys.exit(_supervise())
