"""The local dags-folder target: `<dags folder>/ai_etl/<dag_id>.py`, with its spec beside it.

Publishing replaces the live file atomically, only after the new source passed the import check,
and only when the file there is one this package wrote (a foreign file is never touched; a
hand-edited one only with `force`). Every published version is kept for rollback.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from airflow_ai_etl.deploy.atomic import atomic_write
from airflow_ai_etl.deploy.importcheck import check_dag_source
from airflow_ai_etl.deploy.models import DeployAction, DeployError
from airflow_ai_etl.deploy.versions import VERSIONS_DIR, VersionStore, sha256_text
from airflow_ai_etl.render.dagfile import GENERATED_MARKER
from airflow_ai_etl.spec.models import DagId
from airflow_ai_etl.steps.base import StepFile
from airflow_ai_etl.steps.python_transform.module import TRANSFORMS_DIR

AI_ETL_SUBDIR = "ai_etl"
_IGNORE_FILE = ".airflowignore"
# Match the versions folder and the transform modules' folder under both `glob` and `regexp`
# [core] dag_ignore_file_syntax: the dag-processor must never import a transform's code.
_IGNORE_PATTERNS = (f"{VERSIONS_DIR}/", f"{TRANSFORMS_DIR}/")
#: The spec's dag_id type: what every deployed file is named after.
_DAG_ID = TypeAdapter(DagId)


@dataclass(frozen=True)
class Publication:
    path: Path
    version: int
    action: DeployAction
    spec_sha256: str
    overwritten_copy: Path | None = None
    #: The commit that made it live, for targets that publish by commit (git).
    commit: str | None = None


def dag_file_path(dags_folder: Path, dag_id: str) -> Path:
    return dags_folder / AI_ETL_SUBDIR / f"{dag_id}.py"


def publish(
    dags_folder: Path,
    *,
    dag_id: str,
    source: str,
    spec_text: str,
    spec_sha256: str,
    force: bool = False,
    import_timeout: float = 120,
    import_checked: bool = False,
    files: Sequence[StepFile] = (),
) -> Publication:
    """Make `source` the live file of `dag_id` (a no-op reported as 'unchanged' when it already is).

    `import_checked`: this very source passed the import check moments ago (a retried publish).
    `files`: what the steps ship beside the DAG file (transform modules), written before it.
    """
    root = _prepare_root(dags_folder)
    path = dag_file_path(dags_folder, dag_id)
    store = VersionStore(root, dag_id)
    with store.lock():
        live, overwritten = _live_version(path, store, force=force)
        if live is not None and store.source(live) == source:
            _write_if_changed(path.with_suffix(".yaml"), spec_text)  # repairs a crash between the two
            _install_files(root, files)
            return Publication(path, live, "unchanged", spec_sha256)
        if not import_checked:
            _import_check(source, dag_id, import_timeout, what="the rendered DAG file")
        version = store.archive(source, spec_text, spec_sha256)
        _install_files(root, files)  # before the DAG file that names them goes live
        _install(path, source, spec_text)
        store.record(version, "deploy", spec_sha256, sha256_text(source))
    return Publication(path, version, "deploy", spec_sha256, overwritten)


def roll_back(
    dags_folder: Path, dag_id: str, *, force: bool = False, import_timeout: float = 120
) -> Publication:
    """Make the version that was live before the current one live again."""
    _require_dag_id(dag_id)
    root = _prepare_root(dags_folder)
    path = dag_file_path(dags_folder, dag_id)
    store = VersionStore(root, dag_id)
    with store.lock():
        history = store.history()
        if not history:
            raise DeployError(f"cannot roll back {dag_id!r}: it was never deployed to {dags_folder}")
        _, overwritten = _live_version(path, store, force=force)
        stack = store.live_stack()
        if len(stack) < 2:
            raise DeployError(
                f"cannot roll back {dag_id!r}: version {stack[-1]} is the first deployed version, "
                "there is no earlier one"
            )
        target = stack[-2]
        source, spec_text = store.source(target), store.spec_text(target)
        spec_sha256 = next(e.spec_sha256 for e in reversed(history) if e.version == target)
        # The environment may have changed since that version went live: check it again.
        _import_check(source, dag_id, import_timeout, what=f"kept version {target}")
        _install(path, source, spec_text)
        store.record(target, "rollback", spec_sha256, sha256_text(source))
    return Publication(path, target, "rollback", spec_sha256, overwritten)


def _require_dag_id(dag_id: str) -> None:
    """A dag_id names files under the dags folder: one that is not a dag_id ('../x') names none."""
    try:
        _DAG_ID.validate_python(dag_id)
    except ValidationError:
        raise DeployError(
            f"{dag_id!r} is not a dag_id: use a letter, then letters, digits or underscores"
        ) from None


def _prepare_root(dags_folder: Path) -> Path:
    if not dags_folder.is_dir():
        raise DeployError(f"dags folder {dags_folder} does not exist or is not a directory")
    root = dags_folder / AI_ETL_SUBDIR
    root.mkdir(exist_ok=True)
    ignore = root / _IGNORE_FILE
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    missing = [p for p in _IGNORE_PATTERNS if p not in lines]
    if missing:
        atomic_write(ignore, "\n".join([*lines, *missing]) + "\n")
    return root


def folder_problem(dags_folder: Path) -> str | None:
    """Why deploys into `dags_folder` would fail (with the fix), or None."""
    if not dags_folder.is_dir():
        return (
            f"dags folder {dags_folder} does not exist: create it (`ai-etl install-system-dag` does) "
            "or set [core] dags_folder"
        )
    for folder in (dags_folder, dags_folder / AI_ETL_SUBDIR):
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            return (
                f"{folder} is not writable by this user: give the user the deploy runs as (the "
                f"api-server's) write access, e.g. `chown -R <user> {folder}`"
            )
    return None


def _live_version(path: Path, store: VersionStore, *, force: bool) -> tuple[int | None, Path | None]:
    """The kept version the live file is, and where a force-replaced hand-edited file was saved.

    Refuses (DeployError) a file this package did not write, and one changed since it wrote it
    unless `force`.
    """
    if not path.exists():
        return None, None
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.split("\n", 1)[0].rstrip("\r") != GENERATED_MARKER:
        raise DeployError(
            f"refusing to overwrite {path}: it was not generated by airflow-ai-etl (its first line is not "
            f"{GENERATED_MARKER!r}); move it away or choose another dag_id"
        )
    version = store.version_of(text)
    if version is not None:
        return version, None
    if not force:
        raise DeployError(
            f"refusing to overwrite {path}: it was changed after airflow-ai-etl wrote it (its content "
            "matches no deployed version); save your edits elsewhere, or deploy with --force (force=True) "
            "to replace it"
        )
    return None, store.keep_overwritten(text)


def _import_check(source: str, dag_id: str, timeout: float, *, what: str) -> None:
    check = check_dag_source(source, dag_id=dag_id, timeout=timeout)
    if not check.ok:
        raise DeployError(
            f"{what} of {dag_id!r} failed Airflow's import check; nothing was published "
            "(the live version, if any, stays live)",
            import_errors=check.errors,
        )


def _install(path: Path, source: str, spec_text: str) -> None:
    """Spec first, .py last: replacing the .py is the moment the new version goes live.

    When the .py cannot be replaced the previous spec is put back, so a failed deploy leaves the
    old pair. (After a hard crash between the two writes the spec may be the newer one; the
    `spec-sha256` in the .py header says which spec the live file was rendered from.)
    """
    spec_path = path.with_suffix(".yaml")
    previous_spec = spec_path.read_text(encoding="utf-8") if spec_path.exists() else None
    _write_if_changed(spec_path, spec_text)
    try:
        atomic_write(path, source)
    except BaseException:
        if previous_spec is None:
            spec_path.unlink(missing_ok=True)
        else:
            atomic_write(spec_path, previous_spec)
        raise


def _install_files(root: Path, files: Sequence[StepFile]) -> None:
    """Write the steps' files under `root`. Their names carry their hashes, so a file that exists
    is the same file; old ones stay for the versions (and rollbacks) that name them."""
    for file in files:
        path = root / file.path
        if root.resolve() not in path.resolve().parents:
            raise DeployError(f"step {file.step_id!r}: its file {file.path!r} would leave {root}")
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(path, file.text)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        atomic_write(path, text)


def default_dags_folder() -> Path:
    """Airflow's `[core] dags_folder`."""
    from airflow.configuration import conf

    return Path(conf.get_mandatory_value("core", "dags_folder")).expanduser()
