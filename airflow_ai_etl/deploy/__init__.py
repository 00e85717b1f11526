"""Deploy: validate -> render -> import-check -> publish atomically -> ask Airflow to parse.

Nothing reaches the dags folder unless the spec validated and the rendered file imported cleanly;
on any refusal a DeployError says why and the live version stays live.
"""

from __future__ import annotations

from pathlib import Path

from airflow_ai_etl.deploy.local import Publication, default_dags_folder, publish, roll_back
from airflow_ai_etl.deploy.models import DeployError, Deployment
from airflow_ai_etl.deploy.parse_request import request_parse
from airflow_ai_etl.render import RenderError, render_dag
from airflow_ai_etl.spec import PipelineSpec, dumps_spec, spec_hash
from airflow_ai_etl.validation import ValidationContext, context_from_airflow, validate_spec
from airflow_ai_etl.validation.report import Report

__all__ = ["DeployError", "Deployment", "deploy_spec", "rollback"]


def deploy_spec(
    spec: PipelineSpec,
    *,
    dags_folder: Path | None = None,
    context: ValidationContext | None = None,
    force: bool = False,
    import_timeout: float = 120,
) -> Deployment:
    """Publish `spec` as `<dags folder>/ai_etl/<dag_id>.py` (+ `.yaml`), or raise DeployError.

    `context` defaults to the connections and schemas Airflow knows; `force` only allows replacing
    a generated file that was edited by hand (a file this package did not write is never replaced).
    """
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
    publication = publish(
        dags_folder or default_dags_folder(),
        dag_id=spec.dag_id,
        source=source,
        spec_text=dumps_spec(spec),
        spec_sha256=spec_hash(spec),
        force=force,
        import_timeout=import_timeout,
    )
    return _deployment(spec.dag_id, publication, report)


def rollback(
    dag_id: str, *, dags_folder: Path | None = None, force: bool = False, import_timeout: float = 120
) -> Deployment:
    """Make the version that was live before the current one live again (import-checked first)."""
    publication = roll_back(
        dags_folder or default_dags_folder(), dag_id, force=force, import_timeout=import_timeout
    )
    return _deployment(dag_id, publication, None)


def _deployment(dag_id: str, publication: Publication, report: Report | None) -> Deployment:
    version, path = publication.version, publication.path
    if publication.action == "unchanged":
        parse_requested = False
        message = f"{dag_id}: version {version} is already live at {path}; nothing changed"
    else:
        parse = request_parse(path)
        parse_requested = parse.requested
        verb = "deployed" if publication.action == "deploy" else "rolled back to"
        message = f"{dag_id}: {verb} version {version} at {path}; {parse.reason}"
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
        report=report,
    )
