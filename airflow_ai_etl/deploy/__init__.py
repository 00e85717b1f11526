"""Deploy: validate -> render -> import-check -> publish atomically -> ask Airflow to parse.

Nothing reaches the dags folder unless the spec validated and the rendered file imported cleanly;
on any refusal a DeployError says why and the live version stays live.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from airflow_ai_etl.deploy.local import Publication
from airflow_ai_etl.deploy.models import DeployError, Deployment
from airflow_ai_etl.deploy.targets import DeployTarget, LocalTarget, Release, configured_target
from airflow_ai_etl.lifecycle import emit
from airflow_ai_etl.observability import metrics
from airflow_ai_etl.render import RenderError, render_dag
from airflow_ai_etl.spec import PipelineSpec, dumps_spec, spec_hash
from airflow_ai_etl.steps import registry
from airflow_ai_etl.validation import ValidationContext, context_from_airflow, validate_spec
from airflow_ai_etl.validation.report import Report

__all__ = ["DeployError", "DeployTarget", "Deployment", "choose_target", "deploy_spec", "rollback"]


def choose_target(dags_folder: Path | None = None) -> DeployTarget:
    """That dags folder when one is given, else the target `[ai_etl] deploy_target` configures."""
    return LocalTarget(dags_folder) if dags_folder is not None else configured_target()


def _approver(approver: str | None) -> str:
    """Who approved: the Airflow user (page, API), else the account running the command (CLI)."""
    return approver or getpass.getuser()


def deploy_spec(
    spec: PipelineSpec,
    *,
    dags_folder: Path | None = None,
    target: DeployTarget | None = None,
    context: ValidationContext | None = None,
    force: bool = False,
    import_timeout: float = 120,
    approver: str | None = None,
    approve_code: bool = False,
) -> Deployment:
    """Publish `spec` as `ai_etl/<dag_id>.py` (+ `.yaml`) in the deploy target, or raise DeployError.

    The target is `target`, else a local `dags_folder`, else the configured one. `context`
    defaults to the connections and schemas Airflow knows; `force` only allows replacing
    a generated file that was edited by hand (a file this package did not write is never replaced).
    A spec with Python code (`python_transform` steps) deploys only with `approve_code`: the
    approver has read that code and accepts it.
    """
    with _reported("deploy", target, dags_folder) as outcome:
        deployment = _deploy(
            spec,
            dags_folder=dags_folder,
            target=target,
            context=context,
            force=force,
            import_timeout=import_timeout,
            approver=approver,
            approve_code=approve_code,
        )
        outcome.append(deployment)
    return deployment


def _deploy(
    spec: PipelineSpec,
    *,
    dags_folder: Path | None,
    target: DeployTarget | None,
    context: ValidationContext | None,
    force: bool,
    import_timeout: float,
    approver: str | None,
    approve_code: bool,
) -> Deployment:
    if context is None:
        context = context_from_airflow(spec)
    report = validate_spec(spec, context)
    if not report.ok:
        raise DeployError(
            f"spec {spec.dag_id!r} failed validation with {len(report.errors)} error(s); "
            "nothing was deployed",
            report=report,
        )
    try:
        source = render_dag(spec)
    except RenderError as exc:
        raise DeployError(f"spec {spec.dag_id!r} cannot be rendered: {exc}; nothing was deployed") from None
    files = tuple(registry.step_files(spec.steps, spec.dag_id))
    code = [f.step_id for f in files if f.is_code]
    if code and not approve_code:
        raise DeployError(
            f"spec {spec.dag_id!r} holds Python code (steps {', '.join(code)}): it deploys only when a "
            "person with edit permission on the DAG has read the code and approves it (the page's "
            "'I approve this code' box, `approve_code: true` in the API, `--approve-code` on the "
            "command line); nothing was deployed"
        )
    target = target or choose_target(dags_folder)
    release = Release(
        dag_id=spec.dag_id,
        source=source,
        spec_text=dumps_spec(spec),
        spec_sha256=spec_hash(spec),
        approver=_approver(approver),
        force=force,
        import_timeout=import_timeout,
        files=files,
    )
    publication = target.publish(release)
    emit("pipeline.approved", spec.dag_id, user=release.approver, spec_sha256=release.spec_sha256)
    return _deployment(spec.dag_id, target, publication, report, release.approver)


def rollback(
    dag_id: str,
    *,
    dags_folder: Path | None = None,
    target: DeployTarget | None = None,
    force: bool = False,
    import_timeout: float = 120,
    approver: str | None = None,
) -> Deployment:
    """Make the version that was live before the current one live again (import-checked first)."""
    with _reported("rollback", target, dags_folder) as outcome:
        target = target or choose_target(dags_folder)
        who = _approver(approver)
        publication = target.roll_back(dag_id, force=force, import_timeout=import_timeout, approver=who)
        outcome.append(_deployment(dag_id, target, publication, None, who))
    return outcome[0]


@contextmanager
def _reported(
    action: str, target: DeployTarget | None, dags_folder: Path | None
) -> Iterator[list[Deployment]]:
    """Count the deploy or rollback the block does: published, unchanged, or refused (DeployError)."""
    done: list[Deployment] = []
    try:
        yield done
    except DeployError:
        metrics.deploy_finished(action=action, outcome="refused", target=_target_kind(target, dags_folder))
        raise
    outcome = "unchanged" if done[0].action == "unchanged" else "published"
    metrics.deploy_finished(action=action, outcome=outcome, target=_target_kind(target, dags_folder))


def _target_kind(target: DeployTarget | None, dags_folder: Path | None) -> str:
    """`local` or `git`: the target's class name (LocalTarget, GitTarget), else the configured kind."""
    if target is not None:
        return type(target).__name__.removesuffix("Target").lower()
    if dags_folder is not None:
        return "local"
    from airflow.sdk import conf

    return (conf.get("ai_etl", "deploy_target", fallback="") or "local").strip().lower()


def _deployment(
    dag_id: str, target: DeployTarget, publication: Publication, report: Report | None, approver: str
) -> Deployment:
    version, path = publication.version, publication.path
    if publication.action == "unchanged":
        parse_requested = False
        message = f"{dag_id}: version {version} is already live at {path}; nothing changed"
    else:
        parse = target.announce(publication)
        parse_requested = parse.requested
        verb = "deployed" if publication.action == "deploy" else "rolled back to"
        message = f"{dag_id}: {verb} version {version} at {path}; {parse.reason}"
        emit(
            "pipeline.deployed" if publication.action == "deploy" else "pipeline.rolled_back",
            dag_id,
            user=approver,
            version=version,
            spec_sha256=publication.spec_sha256,
            commit=publication.commit,
        )
    if publication.overwritten_copy is not None:
        message += f"; the hand-edited file it replaced was saved as {publication.overwritten_copy}"
    return Deployment(
        dag_id=dag_id,
        path=path,
        spec_sha256=publication.spec_sha256,
        version=version,
        action=publication.action,
        parse_requested=parse_requested,
        message=message,
        commit=publication.commit,
        report=report,
    )
