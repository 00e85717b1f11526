"""Where a deploy publishes: Airflow's dags folder, or a git repository Airflow syncs its DAGs from.

Both targets keep one layout (`ai_etl/<dag_id>.py` with its spec beside it, every version under
`ai_etl/.versions/`) and one set of rules (import check first, a foreign or hand-edited file is
never replaced silently, one version per deploy); they differ in how Airflow learns of a new
version: a priority parse request for the local folder, a pushed commit for git.
`[ai_etl] deploy_target` chooses the target the page, the REST API and the CLI use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from airflow_ai_etl.deploy import local
from airflow_ai_etl.deploy.models import DeployError
from airflow_ai_etl.deploy.parse_request import ParseRequest, request_parse
from airflow_ai_etl.deploy.versions import HistoryEntry, VersionStore
from airflow_ai_etl.steps.base import StepFile

CONFIG_SECTION = "ai_etl"
TARGET_KINDS = ("local", "git")
DEFAULT_GIT_CONN_ID = "ai_etl_git"


@dataclass(frozen=True)
class Release:
    """One rendered version of a DAG to make live, and who approved it."""

    dag_id: str
    source: str
    spec_text: str
    spec_sha256: str
    approver: str
    force: bool = False
    import_timeout: float = 120
    files: tuple[StepFile, ...] = ()

    def publish_into(self, dags_folder: Path, *, import_checked: bool = False) -> local.Publication:
        return local.publish(
            dags_folder,
            dag_id=self.dag_id,
            source=self.source,
            spec_text=self.spec_text,
            spec_sha256=self.spec_sha256,
            force=self.force,
            import_timeout=self.import_timeout,
            import_checked=import_checked,
            files=self.files,
        )


class DeployTarget(Protocol):
    """What `deploy_spec` and `rollback` need of a place DAG files go live in."""

    @property
    def description(self) -> str:
        """Where the files go, for messages (never a credential)."""

    def publish(self, release: Release) -> local.Publication: ...

    def roll_back(
        self, dag_id: str, *, force: bool, import_timeout: float, approver: str
    ) -> local.Publication: ...

    def history(self, dag_id: str) -> list[HistoryEntry]: ...

    def live_file(self, name: str) -> str | None:
        """The text of `ai_etl/<name>` as Airflow sees it now (a DAG file `<dag_id>.py`, or a step's
        module file); None when there is none; DeployError when the target cannot be read."""

    def announce(self, publication: local.Publication) -> ParseRequest:
        """Tell Airflow about a publication, or say when it will see it; never raises."""

    def problem(self) -> str | None:
        """Why a deploy would fail right now, with the fix; None when the target is usable."""


@dataclass(frozen=True)
class LocalTarget:
    """The dags folder of this machine (shared with Airflow's components by a volume, or local)."""

    dags_folder: Path

    @property
    def description(self) -> str:
        return f"dags folder {self.dags_folder}"

    def publish(self, release: Release) -> local.Publication:
        return release.publish_into(self.dags_folder)

    def roll_back(
        self, dag_id: str, *, force: bool, import_timeout: float, approver: str
    ) -> local.Publication:
        return local.roll_back(self.dags_folder, dag_id, force=force, import_timeout=import_timeout)

    def history(self, dag_id: str) -> list[HistoryEntry]:
        return VersionStore(self.dags_folder / local.AI_ETL_SUBDIR, dag_id).history()

    def live_file(self, name: str) -> str | None:
        try:
            return (self.dags_folder / local.AI_ETL_SUBDIR / name).read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None

    def announce(self, publication: local.Publication) -> ParseRequest:
        return request_parse(publication.path)

    def problem(self) -> str | None:
        return local.folder_problem(self.dags_folder)


def configured_target() -> DeployTarget:
    """The target `[ai_etl] deploy_target` names (`local`, the default, or `git`)."""
    from airflow.configuration import AIRFLOW_HOME, conf

    kind = (conf.get(CONFIG_SECTION, "deploy_target", fallback="") or "local").strip().lower()
    if kind == "local":
        return LocalTarget(local.default_dags_folder())
    if kind == "git":
        from airflow_ai_etl.deploy.git import GitTarget

        conn_id = (conf.get(CONFIG_SECTION, "deploy_git_conn_id", fallback="") or DEFAULT_GIT_CONN_ID).strip()
        clone = (conf.get(CONFIG_SECTION, "deploy_git_clone_dir", fallback="") or "").strip()
        clone_dir = Path(clone).expanduser() if clone else Path(AIRFLOW_HOME) / "ai_etl" / "git" / conn_id
        return GitTarget.from_connection(conn_id, clone_dir=clone_dir)
    raise DeployError(
        f"[ai_etl] deploy_target = {kind!r} is not a deploy target: "
        f"set it to one of {', '.join(TARGET_KINDS)}"
    )
