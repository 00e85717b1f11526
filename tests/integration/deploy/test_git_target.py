"""The git deploy target against real git: a bare repository on this machine plays the remote.

Each deploy is one commit (DAG file + spec + kept versions) pushed to the branch; a rejected push is
applied again on the moved remote; a failure leaves the remote, and so the live version, as it was.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.deploy import DeployError, Deployment, deploy_spec, rollback
from airflow_ai_etl.deploy.git import GitRemote, GitTarget
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.validation import ValidationContext
from tests.unit.deploy.conftest import SHOP_CATALOG, make_shop_db, spec_data, write_spec

SECRET = "tok-never-in-a-commit-4711"
CONTEXT = ValidationContext(
    connections={"shop": ConnectionInfo(conn_id="shop", conn_type="sqlite", dialect="sqlite")},
    catalogs={"shop": SHOP_CATALOG},
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    repo = tmp_path / "dags.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    return repo


def target(bare: Path, clone: Path, *, max_attempts: int = 5, **remote: str) -> GitTarget:
    return GitTarget(
        GitRemote(conn_id="dags_repo", url=str(bare), password=SECRET, **remote), clone, max_attempts
    )


def deploy(tgt: GitTarget, *, approver: str = "alice", **changes: object) -> Deployment:
    spec = parse_spec(spec_data(**changes))
    return deploy_spec(spec, target=tgt, context=CONTEXT, approver=approver)


def remote_file(bare: Path, path: str) -> str:
    return git(bare, "show", f"main:{path}")


def subjects(bare: Path) -> list[str]:
    return git(bare, "log", "--format=%s", "main").splitlines()


def test_each_deploy_and_rollback_is_one_pushed_commit_without_secrets(bare: Path, tmp_path: Path) -> None:
    tgt = target(bare, tmp_path / "clone", subdir="dags")
    first = deploy(tgt)
    assert (first.version, first.action) == (1, "deploy")
    assert first.commit == git(bare, "rev-parse", "main")
    assert f"pushed commit {first.commit[:12]}" in first.message
    v1 = remote_file(bare, "dags/ai_etl/orders_daily.py")
    assert "orders_daily" in v1
    assert "dag_id: orders_daily" in remote_file(bare, "dags/ai_etl/orders_daily.yaml")

    second = deploy(tgt, approver="bob", description="v2")
    assert second.version == 2
    assert remote_file(bare, "dags/ai_etl/orders_daily.py") != v1
    assert deploy(tgt, approver="bob", description="v2").action == "unchanged"  # no empty commit

    back = rollback("orders_daily", target=tgt, approver="carol")
    assert (back.action, back.version) == ("rollback", 1)
    assert remote_file(bare, "dags/ai_etl/orders_daily.py") == v1
    assert subjects(bare) == [
        "roll back orders_daily to version 1 (approved by carol)",
        "deploy orders_daily version 2 (approved by bob)",
        "deploy orders_daily version 1 (approved by alice)",
    ]
    assert "Approved-by: carol" in git(bare, "log", "-1", "--format=%B", "main")
    # The versions travel with the repository: a fresh clone elsewhere rolls back further.
    other = target(bare, tmp_path / "elsewhere", subdir="dags")
    assert [e.version for e in other.history("orders_daily")] == [1, 2, 1]
    # The connection's token never reaches a commit or the clone's configuration.
    assert SECRET not in git(bare, "log", "-p", "--all")
    assert SECRET not in (tmp_path / "clone" / ".git" / "config").read_text()
    assert git(tmp_path / "clone", "remote", "get-url", "origin") == str(bare)


def test_a_rejected_push_is_applied_again_or_leaves_the_live_version(bare: Path, tmp_path: Path) -> None:
    tgt = target(bare, tmp_path / "clone")
    deploy(tgt)
    # Someone else pushes between our fetch and our push: the hook moves the branch and refuses once.
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True)
    (other / "README.md").write_text("team notes\n")
    git(other, "add", "README.md")
    git(other, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "-m", "someone else's commit")
    marker = tmp_path / "rejected-once"
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(
        f"""#!/bin/sh
cat >/dev/null
[ -e {marker} ] && exit 0
touch {marker}
env -u GIT_DIR -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES \\
    git -C {other} push -q origin HEAD:main >/dev/null 2>&1
echo "rejected: the branch moved" >&2
exit 1
"""
    )
    hook.chmod(0o755)

    second = deploy(tgt, description="v2")
    assert marker.exists() and second.version == 2
    assert subjects(bare) == [
        "deploy orders_daily version 2 (approved by alice)",
        "someone else's commit",
        "deploy orders_daily version 1 (approved by alice)",
    ]
    assert remote_file(bare, "README.md") == "team notes"

    # A push refused every time: the live version stays live, and the same draft deploys later.
    live = git(bare, "rev-parse", "main")
    hook.write_text("#!/bin/sh\necho 'policy: read-only today' >&2\nexit 1\n")
    refusing = target(bare, tmp_path / "clone", max_attempts=2)
    with pytest.raises(DeployError, match=r"rejected 2 times .*read-only today.*nothing was deployed"):
        deploy(refusing, description="v3")
    assert git(bare, "rev-parse", "main") == live
    hook.unlink()
    assert deploy(refusing, description="v3").version == 3


def test_two_concurrent_deploys_from_two_machines_both_land(bare: Path, tmp_path: Path) -> None:
    deploy(target(bare, tmp_path / "seed"))  # the branch exists, as it does after the first deploy
    results: dict[str, Deployment | BaseException] = {}

    def run(name: str, description: str) -> None:
        try:
            results[name] = deploy(target(bare, tmp_path / name), approver=name, description=description)
        except BaseException as exc:
            results[name] = exc

    threads = [threading.Thread(target=run, args=(n, f"from {n}")) for n in ("api1", "api2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    deployments = [results[n] for n in ("api1", "api2")]
    assert all(isinstance(d, Deployment) for d in deployments), deployments
    assert sorted(d.version for d in deployments if isinstance(d, Deployment)) == [2, 3]
    assert len(subjects(bare)) == 3  # one commit per deploy, linear
    history = json.loads(remote_file(bare, "ai_etl/.versions/orders_daily/history.json"))
    assert [e["version"] for e in history] == [1, 2, 3]


def test_an_unreachable_remote_is_one_clear_message_without_the_token(tmp_path: Path) -> None:
    tgt = GitTarget(
        GitRemote(conn_id="dags_repo", url="https://127.0.0.1:1/dags.git", login="ci", password=SECRET),
        tmp_path / "clone",
    )
    with pytest.raises(DeployError) as caught:
        deploy(tgt)
    message = caught.value.message
    assert "cannot reach the git remote https://127.0.0.1:1/dags.git (connection 'dags_repo')" in message
    assert "nothing was deployed" in message and SECRET not in message
    assert tgt.problem() is not None


def test_a_dirty_or_diverged_clone_is_refused_with_the_fix(bare: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    tgt = target(bare, clone)
    deploy(tgt)
    (clone / "stray.txt").write_text("left by hand\n")
    with pytest.raises(DeployError, match=rf"the deploy clone {clone} has local changes .*rm -rf {clone}"):
        deploy(tgt, description="v2")
    (clone / "stray.txt").unlink()

    git(clone, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "--allow-empty", "-m", "local")
    with pytest.raises(DeployError, match=rf"the deploy clone {clone} has diverged from branch 'main'"):
        deploy(tgt, description="v2")
    assert len(subjects(bare)) == 1


def test_the_cli_deploys_to_the_configured_git_target(bare: Path, tmp_path: Path) -> None:
    shop = make_shop_db(tmp_path / "shop.db")
    env = {
        **os.environ,
        "AIRFLOW__AI_ETL__DEPLOY_TARGET": "git",
        "AIRFLOW__AI_ETL__DEPLOY_GIT_CLONE_DIR": str(tmp_path / "cli-clone"),
        "AIRFLOW_CONN_AI_ETL_GIT": json.dumps({"conn_type": "git", "host": str(bare), "password": SECRET}),
        "AIRFLOW_CONN_SHOP": json.dumps({"conn_type": "sqlite", "host": str(shop)}),
    }
    spec = write_spec(tmp_path / "spec.yaml")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ai-etl"), "deploy", str(spec), "--json"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["commit"] == git(bare, "rev-parse", "main")
    assert subjects(bare) == [f"deploy orders_daily version 1 (approved by {getpass.getuser()})"]


def live_file(bare: Path) -> str:
    """The DAG file on the branch, byte for byte."""
    show = ["git", "-C", str(bare), "show", "main:dags/ai_etl/orders_daily.py"]
    return subprocess.run(show, capture_output=True, text=True, check=True).stdout


def test_the_drafts_diff_is_against_the_file_live_on_the_branch_not_a_local_folder(
    bare: Path, tmp_path: Path
) -> None:
    from airflow_ai_etl.plugins.views import live_diff

    tgt = target(bare, tmp_path / "clone", subdir="dags")
    assert tgt.live_file("orders_daily.py") is None  # the branch does not exist yet
    deploy(tgt)
    live = live_file(bare)
    # Another machine deploys a newer version: the branch's head, not this clone, is what is live.
    elsewhere = target(bare, tmp_path / "elsewhere", subdir="dags")
    deploy(elsewhere, description="from elsewhere")
    newer = live_file(bare)
    assert newer != live
    assert tgt.live_file("orders_daily.py") == newer
    assert tgt.live_file("no_such_dag.py") is None
    assert live_diff(tgt, newer, "orders_daily") == ""
    diff = live_diff(tgt, live, "orders_daily")
    assert diff.startswith("--- live/orders_daily.py") and "from elsewhere" in diff
    # A remote that cannot be reached leaves the review without a diff instead of failing it.
    gone = GitTarget(GitRemote(conn_id="gone", url=str(tmp_path / "missing.git")), tmp_path / "c3")
    assert live_diff(gone, live, "orders_daily") == ""
