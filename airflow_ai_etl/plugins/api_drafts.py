"""GET/PUT /drafts/{id}, POST /drafts/{id}/validate, POST /drafts/{id}/deploy (approve & deploy).

An edit makes a new draft version and never changes the one it edits; an edit that does not
parse or validate is refused with field-level detail and stores nothing. A deploy goes through
the package's one deploy path (validate -> render -> import check -> atomic publish), whose
per-DAG lock and "already live" check make a double-click give one version, not two.
"""

from __future__ import annotations

import difflib
import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request

from airflow_ai_etl.plugins.audit import refuse
from airflow_ai_etl.plugins.auth import DeployUser, EditUser, StoreDep, require_dag_access
from airflow_ai_etl.plugins.schemas import DeployIn, DeployOut, DraftEdit, DraftOut, ReportOut
from airflow_ai_etl.plugins.views import draft_out, report_out, step_files_out
from airflow_ai_etl.plugins.visibility import Reader, ReaderDep
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.models import DraftRow

if TYPE_CHECKING:
    from airflow_ai_etl.deploy.targets import DeployTarget

log = logging.getLogger(__name__)

router = APIRouter(tags=["drafts"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown draft"}}


def live_target() -> DeployTarget | None:
    """The configured deploy target, whose live files the drafts are diffed against; None (no
    diff, a warning) when `[ai_etl]` names one that cannot be built."""
    from airflow_ai_etl.deploy import DeployError, choose_target

    try:
        return choose_target()
    except DeployError as exc:
        log.warning("drafts are shown without a diff to the live DAG: %s", exc)
        return None


def airflow_url(dag_id: str) -> str:
    return f"/dags/{dag_id}"


def _draft_or_404(store: Store, draft_id: int, *, user: str, action: str | None) -> DraftRow:
    row = store.get_draft(draft_id)
    if row is not None:
        return row
    detail = f"there is no draft {draft_id}"
    if action is None:
        from fastapi import HTTPException

        raise HTTPException(status_code=404, detail=detail)
    refuse(store, user=user, action=action, target=f"draft:{draft_id}", status=404, detail=detail)


@router.get("/drafts/{draft_id}", responses=_NOT_FOUND)
def get_draft(draft_id: int, who: ReaderDep, store: StoreDep) -> DraftOut:
    """A draft: spec, rendered code, report, usage, graph, ER diagram, and the diff to the live DAG."""
    return draft_out(store, _readable_draft(store, draft_id, who), live_target())


def _readable_draft(store: Store, draft_id: int, who: Reader) -> DraftRow:
    row = _draft_or_404(store, draft_id, user=who.name, action=None)
    who.check(row.dag_id, row.created_by, f"draft {draft_id}")
    return row


def _spec_problems(exc: Any) -> list[dict[str, Any]]:
    return [
        {
            "loc": ["body", "spec_yaml", *([path] if path else [])],
            "path": path,
            "msg": message,
            "type": "spec",
        }
        for path, message in exc.problems
    ]


def _finding_problems(report: Any) -> list[dict[str, Any]]:
    problems = []
    for finding in report.errors:
        path = ".".join(p for p in (finding.step_id, finding.field) if p)
        problems.append(
            {
                "loc": ["body", "spec_yaml", *([path] if path else [])],
                "path": path,
                "msg": finding.message,
                "type": finding.code,
                "hint": finding.hint,
            }
        )
    return problems


def _spec_diff(before: str, after: str, draft_id: int) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"draft/{draft_id}.yaml",
        tofile="edit.yaml",
    )
    return "".join(lines)


@router.put(
    "/drafts/{draft_id}",
    status_code=201,
    responses={
        **_NOT_FOUND,
        409: {"description": "The edit adds destructive grants and confirm_grants is not set"},
        422: {"description": "The YAML or the spec is invalid, per field"},
    },
)
def edit_draft(draft_id: int, body: DraftEdit, request: Request, user: EditUser, store: StoreDep) -> DraftOut:
    """Save an edited spec as a new draft version, validated against the real schemas and re-rendered."""
    from airflow_ai_etl.memory.fingerprints import spec_fingerprints
    from airflow_ai_etl.render import RenderError, render_dag
    from airflow_ai_etl.spec import SpecError
    from airflow_ai_etl.spec.io import parse_spec as parse_spec_data
    from airflow_ai_etl.spec.io import parse_yaml
    from airflow_ai_etl.store.diagrams import er_diagram
    from airflow_ai_etl.validation import context_from_airflow, validate_spec
    from airflow_ai_etl.validation.provenance import new_grants

    parent = _draft_or_404(store, draft_id, user=user, action="edit")
    target = f"draft:{draft_id}"
    try:
        spec = parse_spec_data(parse_yaml(body.spec_yaml, "spec_yaml", SpecError), "spec_yaml")
    except SpecError as exc:
        refuse(store, user=user, action="edit", target=target, status=422, detail=_spec_problems(exc))
    require_dag_access(request, store, method="PUT", dag_id=spec.dag_id, action="edit", target=target)
    grants = new_grants(spec, PipelineSpec.model_validate(parent.spec) if parent.spec is not None else None)
    if grants and not body.confirm_grants:
        unconfirmed: dict[str, Any] = {
            "message": "this edit grants destructive operations; review them and send the edit again "
            "with confirm_grants: true",
            "grants": grants,
            "diff": _spec_diff(parent.spec_yaml, body.spec_yaml, draft_id),
        }
        refuse(store, user=user, action="edit", target=target, status=409, detail=unconfirmed)
    context = context_from_airflow(spec)
    report = validate_spec(spec, context)
    if not report.ok:
        refuse(store, user=user, action="edit", target=target, status=422, detail=_finding_problems(report))
    # What pipeline memory checks before adapting this draft, once approved, to a new request.
    report.catalog_fingerprints = spec_fingerprints(
        spec.model_dump(mode="json"), list(context.catalogs.values())
    )
    try:
        source = render_dag(spec)
    except RenderError as exc:
        detail = [
            {"loc": ["body", "spec_yaml"], "path": "", "msg": f"cannot render: {exc}", "type": "render"}
        ]
        refuse(store, user=user, action="edit", target=target, status=422, detail=detail)
    row = store.add_draft(
        request_id=parent.request_id,
        parent_id=parent.id,
        dag_id=spec.dag_id,
        state="ready",
        spec=spec.model_dump(mode="json"),
        spec_yaml=body.spec_yaml,
        source=source,
        report=report.model_dump(mode="json"),
        er=er_diagram(spec, context.catalogs.values()),
        created_by=user,
    )
    audited: dict[str, Any] = {"new_draft_id": row.id, "version": row.version}
    if grants:
        audited["grants_confirmed"] = grants
    store.audit(user=user, action="edit", target=target, detail=audited)
    return draft_out(store, row, live_target())


@router.post("/drafts/{draft_id}/validate", responses=_NOT_FOUND)
def validate_draft(draft_id: int, who: ReaderDep, store: StoreDep) -> ReportOut:
    """Validate the draft's spec again, against the connections' schemas as they are now."""
    from airflow_ai_etl.validation import context_from_airflow, validate_spec

    row = _readable_draft(store, draft_id, who)
    if row.spec is None:
        return ReportOut.model_validate(row.report | {"ok": False})
    spec = PipelineSpec.model_validate(row.spec)
    return report_out(validate_spec(spec, context_from_airflow(spec)))


@router.post(
    "/drafts/{draft_id}/deploy",
    responses={**_NOT_FOUND, 409: {"description": "The draft failed, or does not validate or import now"}},
)
def deploy_draft(
    draft_id: int, request: Request, user: DeployUser, store: StoreDep, body: DeployIn | None = None
) -> DeployOut:
    """Approve and deploy: idempotent (the same draft again gives the same version, changed=false).

    A draft with Python code (`files` with is_code) needs `approve_code: true`; the approval, with
    each file's sha256, goes into the audit log.
    """
    from airflow_ai_etl.deploy import DeployError, deploy_spec

    row = _draft_or_404(store, draft_id, user=user, action="deploy")
    target = f"draft:{draft_id}"
    if row.state != "ready" or row.spec is None:
        detail: dict[str, Any] = {
            "message": f"draft {draft_id} is {row.state}: {row.reason or 'no valid spec'}",
            "report": row.report,
        }
        refuse(store, user=user, action="deploy", target=target, status=409, detail=detail)
    spec = PipelineSpec.model_validate(row.spec)
    require_dag_access(request, store, method="PUT", dag_id=spec.dag_id, action="deploy", target=target)
    try:
        # into the configured deploy target
        deployment = deploy_spec(spec, approver=user, approve_code=body is not None and body.approve_code)
    except DeployError as exc:
        detail = {
            "message": exc.message,
            "report": exc.report.model_dump(mode="json") if exc.report else None,
            "import_errors": exc.import_errors,
        }
        refuse(store, user=user, action="deploy", target=target, status=409, detail=detail)
    except OSError as exc:
        detail = {"message": f"cannot write to the dags folder: {exc}"}
        refuse(store, user=user, action="deploy", target=target, status=409, detail=detail)
    changed = deployment.action != "unchanged"
    if changed:
        store.record_deployment(
            dag_id=spec.dag_id,
            version=deployment.version,
            action="deploy",
            draft_id=row.id,
            path=str(deployment.path),
            spec_sha256=deployment.spec_sha256,
            deployed_by=user,
        )
    audited: dict[str, Any] = {"dag_id": spec.dag_id, "version": deployment.version, "changed": changed}
    code = [f for f in step_files_out(spec, None) if f.is_code]
    if code:
        audited["code_approved"] = [{"step_id": f.step_id, "path": f.path, "sha256": f.sha256} for f in code]
    store.audit(user=user, action="deploy", target=target, detail=audited)
    return DeployOut(
        dag_id=spec.dag_id,
        version=deployment.version,
        path=str(deployment.path),
        changed=changed,
        parse_requested=deployment.parse_requested,
        message=deployment.message,
        airflow_url=airflow_url(spec.dag_id),
    )
