"""The git target: each deploy or rollback is one commit pushed to a branch Airflow syncs DAGs from.

Kubernetes deployments deliver DAGs by git (the chart's gitSync, or a GitDagBundle), so a deploy
cannot write into a dags folder there; it commits to the repository those read. The repository
and branch come from an Airflow connection of type `git` (as GitDagBundle's): `host` is the URL,
`login`/`password` an HTTPS user and token, extra `key_file` or `private_key` an SSH key, extra
`branch` (default `main`) and `subdir` (the dags folder's path inside the repository, default
the root).

The target keeps a clone of its own (`[ai_etl] deploy_git_clone_dir`) and publishes into it with
the local target's code (same layout, versions, import check and refusals), then commits and
pushes. When the remote moved meanwhile (another api-server, a person) the push is rejected: the
clone is reset to the new remote head and the deploy is applied again on top of it, so version
numbers stay consecutive. A push that still fails leaves the remote, and so the live version, as
it was, and the clone at the remote's head, ready for the next deploy. Credentials only ever go
to git's command line for one fetch or push: never into the clone's configuration, a commit or a
message.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit, urlunsplit

from airflow_ai_etl.deploy import local
from airflow_ai_etl.deploy.models import DeployError
from airflow_ai_etl.deploy.parse_request import ParseRequest
from airflow_ai_etl.deploy.targets import Release
from airflow_ai_etl.deploy.versions import HistoryEntry, VersionStore

#: Who commits; the person who approved is named in the message.
_COMMITTER = ("airflow-ai-etl", "airflow-ai-etl@localhost")
_NETWORK_TIMEOUT = 120.0
#: How git says a push lost a race (or a hook refused it): worth applying the deploy again.
_REJECTED = ("[rejected]", "[remote rejected]", "non-fast-forward", "fetch first")


@dataclass(frozen=True)
class GitRemote:
    """A repository and branch to deploy to, and the credentials to reach it (kept out of repr)."""

    conn_id: str
    url: str
    branch: str = "main"
    subdir: str = ""
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    key_file: str | None = None
    private_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_connection(cls, conn_id: str) -> GitRemote:
        from airflow_ai_etl.catalog.connections import UnknownConnectionError, airflow_connection

        try:
            connection = airflow_connection(conn_id)
        except UnknownConnectionError as exc:
            raise DeployError(
                f"{exc}: the git deploy target reads its repository from it; add a `git` connection "
                f'{conn_id!r} (host = repository URL, extra {{"branch": "main"}}) or set '
                "[ai_etl] deploy_git_conn_id"
            ) from None
        extra = connection.extra_dejson
        url = (connection.host or "").strip()
        if not url:
            raise DeployError(f"connection {conn_id!r} has no host: set it to the git repository's URL")
        subdir = str(extra.get("subdir") or "").strip("/")
        if subdir and (PurePosixPath(subdir).is_absolute() or ".." in PurePosixPath(subdir).parts):
            raise DeployError(
                f"connection {conn_id!r}: extra subdir {subdir!r} must be a relative path in the repository"
            )
        return cls(
            conn_id=conn_id,
            url=url,
            branch=str(extra.get("branch") or "main"),
            subdir=subdir,
            login=connection.login or None,
            password=connection.password or None,
            key_file=extra.get("key_file") or None,
            private_key=extra.get("private_key") or None,
        )

    def authenticated_url(self) -> str:
        """The URL with the HTTPS user and token in it: for one git command line, never stored."""
        if not self.password or not self.url.startswith(("https://", "http://")):
            return self.url
        parts = urlsplit(self.url)
        user = quote(self.login or "x-access-token", safe="")
        netloc = f"{user}:{quote(self.password, safe='')}@{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )
        return urlunsplit(parts._replace(netloc=netloc))

    def redact(self, text: str) -> str:
        """`text` (git's output) without any credential in it."""
        text = text.replace(self.authenticated_url(), self.url)
        for secret in (self.password, self.private_key):
            if secret:
                text = text.replace(quote(secret, safe=""), "***").replace(secret, "***")
        return text


@dataclass(frozen=True)
class GitTarget:
    """Publish by commit and push to `remote`, through the clone at `clone_dir`."""

    remote: GitRemote
    clone_dir: Path
    max_attempts: int = 5

    @classmethod
    def from_connection(cls, conn_id: str, *, clone_dir: Path) -> GitTarget:
        return cls(GitRemote.from_connection(conn_id), clone_dir)

    @property
    def description(self) -> str:
        return f"branch {self.remote.branch!r} of {self.remote.url}"

    @property
    def dags_folder(self) -> Path:
        """The dags folder's copy inside the clone."""
        return self.clone_dir / self.remote.subdir if self.remote.subdir else self.clone_dir

    def publish(self, release: Release) -> local.Publication:
        attempts = 0

        def apply() -> local.Publication:
            nonlocal attempts
            attempts += 1
            # After a rejected push the same source is applied again: it passed the check already.
            return release.publish_into(self.dags_folder, import_checked=attempts > 1)

        subject = f"deploy {release.dag_id} version {{}}"
        return self._commit_and_push(apply, lambda p: subject.format(p.version), release.approver)

    def roll_back(
        self, dag_id: str, *, force: bool, import_timeout: float, approver: str
    ) -> local.Publication:
        def apply() -> local.Publication:
            return local.roll_back(self.dags_folder, dag_id, force=force, import_timeout=import_timeout)

        return self._commit_and_push(apply, lambda p: f"roll back {dag_id} to version {p.version}", approver)

    def history(self, dag_id: str) -> list[HistoryEntry]:
        with self._session() as git:
            git.sync()
            return VersionStore(self.dags_folder / local.AI_ETL_SUBDIR, dag_id).history()

    def live_file(self, name: str) -> str | None:
        """The file in the branch's head commit on the remote (what gitSync hands Airflow), not the
        clone's working tree nor any local dags folder."""
        path = (self.dags_folder / local.AI_ETL_SUBDIR / name).relative_to(self.clone_dir).as_posix()
        with self._session() as git:
            head = git.sync()
            if head is None:
                return None
            shown = git.run("show", f"{head}:{path}", check=False)
        return shown.stdout if shown.returncode == 0 else None

    def announce(self, publication: local.Publication) -> ParseRequest:
        if publication.commit is None:
            return ParseRequest(False, f"nothing was pushed to {self.description}")
        return ParseRequest(
            False,
            f"pushed commit {publication.commit[:12]} to {self.description}; Airflow parses it after "
            "its next git sync",
        )

    def problem(self) -> str | None:
        try:
            with self._session() as git:
                git.sync()
        except DeployError as exc:
            return exc.message
        except OSError as exc:
            return f"cannot use the clone {self.clone_dir}: {exc}; make its parent folder writable"
        return None

    def _commit_and_push(
        self,
        apply: Callable[[], local.Publication],
        subject: Callable[[local.Publication], str],
        approver: str,
    ) -> local.Publication:
        with self._session() as git:
            rejection = ""
            for _ in range(self.max_attempts):
                base = git.sync()
                try:
                    self.dags_folder.mkdir(parents=True, exist_ok=True)  # a subdir new to the repository
                    publication = apply()
                    if publication.action == "unchanged":
                        return publication
                    commit = git.commit(f"{subject(publication)} (approved by {approver})", approver)
                    rejection = git.push()
                except BaseException:
                    git.reset(base)
                    raise
                if not rejection:
                    return replace(publication, commit=commit)
                git.reset(base)
                if not any(marker in rejection for marker in _REJECTED):
                    raise DeployError(
                        f"push to {self.description} failed: {_summary(rejection)}; nothing was "
                        "deployed, the live version stays live and the deploy can be retried"
                    )
            raise DeployError(
                f"push to {self.description} was rejected {self.max_attempts} times (the branch keeps "
                f"moving, or a hook refuses it): {_summary(rejection)}; nothing was deployed, the live "
                "version stays live and the deploy can be retried"
            )

    @contextmanager
    def _session(self) -> Iterator[_Clone]:
        """One deploy at a time per clone (other machines' deploys race at the push instead)."""
        self.clone_dir.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.clone_dir.with_name(f"{self.clone_dir.name}.lock")
        with lock_path.open("w") as lock, _ssh_key(self.remote) as ssh_env:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield _Clone(self.remote, self.clone_dir, ssh_env)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _ssh_key(remote: GitRemote) -> Iterator[dict[str, str]]:
    """GIT_SSH_COMMAND for the connection's key; an inline key lives in a 0600 file for the session."""
    if remote.key_file:
        yield {"GIT_SSH_COMMAND": f"ssh -i {shlex.quote(remote.key_file)} -o IdentitiesOnly=yes"}
        return
    if not remote.private_key:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="ai-etl-git-") as folder:
        key = Path(folder) / "key"
        key.touch(mode=0o600)
        key.write_text(remote.private_key.rstrip("\n") + "\n", encoding="utf-8")
        yield {"GIT_SSH_COMMAND": f"ssh -i {shlex.quote(str(key))} -o IdentitiesOnly=yes"}


@dataclass
class _Clone:
    """git commands on the target's clone; every failure becomes a DeployError naming the fix."""

    remote: GitRemote
    path: Path
    ssh_env: dict[str, str]

    def sync(self) -> str | None:
        """Bring the clean clone to the remote branch's head; that head (None: branch not created yet)."""
        if not (self.path / ".git").is_dir():
            self.path.mkdir(parents=True, exist_ok=True)
            self.run("init", "-q", "-b", self.remote.branch)
            self.run("remote", "add", "origin", self.remote.url)  # without credentials
            # The version store's lock files are not content.
            (self.path / ".git" / "info").mkdir(exist_ok=True)
            (self.path / ".git" / "info" / "exclude").write_text(".lock\n", encoding="utf-8")
        dirty = self.run("status", "--porcelain").stdout.strip()
        if dirty:
            raise DeployError(
                f"the deploy clone {self.path} has local changes ({dirty.splitlines()[0].strip()} ...): "
                f"it belongs to airflow-ai-etl; delete it (`rm -rf {self.path}`) and deploy again, it is "
                "cloned afresh"
            )
        head = self._remote_head()
        local_head = self.run("rev-parse", "-q", "--verify", "HEAD", check=False).stdout.strip() or None
        if head is not None:
            branch = self.remote.branch
            self.network(
                "fetch",
                "-q",
                "--no-tags",
                "--",
                "{url}",
                f"+refs/heads/{branch}:refs/remotes/origin/{branch}",
            )
        if local_head is not None and (
            head is None or self.run("merge-base", "--is-ancestor", local_head, head, check=False).returncode
        ):
            raise DeployError(
                f"the deploy clone {self.path} has diverged from branch {self.remote.branch!r} of "
                f"{self.remote.url} (it holds commits the remote does not): push or save them, then "
                f"delete the clone (`rm -rf {self.path}`) and deploy again"
            )
        if head is not None:
            self.run("checkout", "-q", "-B", self.remote.branch, head)
        return head

    def commit(self, message: str, approver: str) -> str:
        self.run("add", "-A")
        name, email = _COMMITTER
        body = f"{message}\n\nApproved-by: {approver}\n"
        self.run(
            "-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "-q", "--no-verify", "-m", body
        )
        return self.run("rev-parse", "HEAD").stdout.strip()

    def push(self) -> str:
        """Push HEAD to the branch; git's message when it was refused, "" on success."""
        proc = self.network(
            "push", "--porcelain", "{url}", f"HEAD:refs/heads/{self.remote.branch}", check=False
        )
        return "" if proc.returncode == 0 else _summary(self.remote.redact(proc.stdout + proc.stderr))

    def reset(self, base: str | None) -> None:
        """Back to the remote head `base`, dropping whatever this attempt committed or wrote."""
        if base is None:
            shutil.rmtree(self.path, ignore_errors=True)  # nothing was ever pushed: start afresh
            return
        self.run("reset", "-q", "--hard", base)
        self.run("clean", "-q", "-fd")

    def _remote_head(self) -> str | None:
        proc = self.network(
            "ls-remote", "--heads", "--", "{url}", f"refs/heads/{self.remote.branch}", check=False
        )
        if proc.returncode != 0:
            raise DeployError(
                f"cannot reach the git remote {self.remote.url} (connection {self.remote.conn_id!r}): "
                f"{_summary(self.remote.redact(proc.stderr))}; check the connection's host and "
                "credentials and that this machine can reach it; nothing was deployed"
            )
        line = proc.stdout.strip().splitlines()
        return line[0].split()[0] if line else None

    def network(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A command talking to the remote: `{url}` becomes the URL with credentials."""
        url = self.remote.authenticated_url()
        return self.run(*(url if a == "{url}" else a for a in args), check=check, timeout=_NETWORK_TIMEOUT)

    def run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", **self.ssh_env}
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.path), *args],
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DeployError(
                f"git {args[0]} on {self.remote.url} took longer than {timeout:.0f} s; nothing was deployed"
            ) from None
        except FileNotFoundError:
            raise DeployError("the git deploy target needs the `git` command: install git") from None
        if check and proc.returncode != 0:
            raise DeployError(
                f"git {args[0]} failed in {self.path}: {_summary(self.remote.redact(proc.stderr))}"
            )
        return proc


def _summary(output: str) -> str:
    """git's last few meaningful lines (not its hints) for a one-line message."""
    lines = [
        line.strip()
        for line in output.splitlines()
        if line.strip() and line.strip() != "Done" and not line.startswith("hint:")
    ]
    return "; ".join(lines[-3:]) or "no output"
