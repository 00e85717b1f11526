"""The sandbox contains code that slipped past the checker (here: imports the checker would refuse
are allowed on purpose), each case bounded in time."""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pytest

from airflow_ai_etl.transforms.checker import DEFAULT_IMPORTS
from airflow_ai_etl.transforms.sandbox import SandboxError, SandboxLimits, isolation, run_transform

#: What a checker bypass would hand the code: the modules the allowlist exists to keep out.
BYPASS = (*DEFAULT_IMPORTS, "os", "socket")
LIMITS = SandboxLimits(cpu_seconds=3, memory_mb=1024, timeout_s=30)
BATCH = pa.RecordBatch.from_pylist([{"id": 1, "payload": '{"amount": 2.5}'}, {"id": 2, "payload": "{}"}])


def run(code: str, limits: SandboxLimits = LIMITS) -> pa.Table:
    return run_transform(code, "transform", BATCH, allowed_imports=BYPASS, limits=limits)


def test_a_pure_function_runs_and_returns_its_batch() -> None:
    code = (
        "import json\nimport pyarrow as pa\n\n"
        "def transform(batch):\n"
        "    amounts = [json.loads(p).get('amount') for p in batch.column('payload').to_pylist()]\n"
        "    columns = [batch.column('id'), pa.array(amounts)]\n"
        "    return pa.RecordBatch.from_arrays(columns, names=['id', 'amount'])\n"
    )
    assert run(code).to_pylist() == [{"id": 1, "amount": 2.5}, {"id": 2, "amount": None}]


def test_no_inherited_credentials_in_proc_self_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_PG", "postgresql://etl:hunter2@db/shop")
    code = (
        "import os\nimport pyarrow as pa\n\n"
        "def transform(batch):\n"
        "    try:\n"
        "        env = os.read(os.open('/proc/self/environ', os.O_RDONLY), 1 << 16).decode()\n"
        "    except PermissionError:\n"
        "        env = '(denied)'\n"
        "    return pa.RecordBatch.from_pylist([{'env': env, 'keys': ','.join(sorted(os.environ))}])\n"
    )
    (row,) = run(code).to_pylist()
    assert "hunter2" not in row["env"] and "AIRFLOW_CONN" not in row["env"]
    assert row["keys"] == "LC_ALL"


def test_a_socket_cannot_reach_anything() -> None:
    if not isolation().network:
        pytest.skip("no network namespace on this machine (documented: the network is not isolated)")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        code = (
            "import socket\n\n"
            "def transform(batch):\n"
            "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
            "    s.settimeout(5)\n"
            f"    s.connect(('127.0.0.1', {port}))\n"
            "    return batch\n"
        )
        with pytest.raises(SandboxError, match=r"unreachable|refused|Errno"):
            run(code)
        listener.settimeout(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing ever connected


def test_a_10_gb_allocation_fails_inside_the_limit() -> None:
    code = "def transform(batch):\n    hog = bytearray(10 * 1024**3)\n    return batch\n"
    with pytest.raises(SandboxError, match="memory limit"):
        run(code)


def test_a_fork_bomb_is_contained() -> None:
    code = "import os\n\ndef transform(batch):\n    while True:\n        os.fork()\n"
    started = time.monotonic()
    with pytest.raises(SandboxError):
        run(code)
    assert time.monotonic() - started < LIMITS.timeout_s + 5


def test_cpu_time_is_bounded() -> None:
    code = "def transform(batch):\n    while True:\n        pass\n"
    with pytest.raises(SandboxError, match=r"CPU|longer than"):
        run(code, SandboxLimits(cpu_seconds=1, memory_mb=1024, timeout_s=20))


def test_writing_a_file_is_refused() -> None:
    # a folder `nobody` may write to: the file-size limit, not the permissions, must refuse
    folder = Path(tempfile.mkdtemp(prefix="ai_etl_sandbox_"))
    folder.chmod(0o777)
    probe = folder / "probe"
    code = (
        "import os\n\ndef transform(batch):\n"
        f"    fd = os.open('{probe}', os.O_WRONLY | os.O_CREAT, 0o600)\n"
        "    os.write(fd, b'x' * 1024)\n"
        "    return batch\n"
    )
    with pytest.raises(SandboxError, match=r"write a file|File too large"):
        run(code)
    try:
        assert probe.stat().st_size == 0
    finally:
        shutil.rmtree(folder)


def test_a_wrong_return_type_is_a_clear_error() -> None:
    with pytest.raises(SandboxError, match="must return a pyarrow RecordBatch"):
        run("def transform(batch):\n    return 42\n")
