"""Ask Airflow to parse a published file now.

The dag-processor notices *new* files only at its next bundle scan (`[dag_processor]
refresh_interval`, 300 s by default). A `DagPriorityParsingRequest` row puts the file at the front
of its queue instead. The request is a courtesy: when there is no reachable metadata database, or
the file lies in no configured bundle, the file is still published and is picked up at the next scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ParseRequest:
    requested: bool
    reason: str
    bundle_name: str | None = None
    relative_fileloc: str | None = None


def locate_in_bundle(path: Path) -> tuple[str, str] | None:
    """`(bundle name, path relative to the bundle)` of the deepest configured bundle holding `path`."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    target = path.resolve()
    best: tuple[int, str, str] | None = None
    for bundle in DagBundlesManager().get_all_dag_bundles():  # type: ignore[no-untyped-call]
        root = Path(bundle.path).resolve()
        if not target.is_relative_to(root):
            continue
        depth = len(root.parts)
        if best is None or depth > best[0]:
            best = (depth, bundle.name, target.relative_to(root).as_posix())
    return None if best is None else (best[1], best[2])


def request_parse(path: Path) -> ParseRequest:
    """Queue `path` for parsing ahead of the dag-processor's next scan; never raises."""
    # The file is already live when this runs; failing here would report a deploy that happened as
    # failed, so every problem becomes the reason the request was not made.
    try:
        located = locate_in_bundle(path)
    except Exception as exc:
        return ParseRequest(False, f"the DAG bundle configuration could not be read: {_first_line(exc)}")
    if located is None:
        return ParseRequest(
            False,
            f"{path} is in no configured DAG bundle ([dag_processor] dag_bundle_config_list); "
            "Airflow parses it only if a bundle covering it is added",
        )
    bundle_name, relative_fileloc = located
    try:
        _insert_request(bundle_name, relative_fileloc)
    except Exception as exc:
        return ParseRequest(
            False,
            f"the parse request could not be written to the metadata database ({_first_line(exc)}); "
            "Airflow finds the file at its next scan of the bundle ([dag_processor] refresh_interval)",
            bundle_name,
            relative_fileloc,
        )
    return ParseRequest(
        True, f"parse requested (bundle {bundle_name!r}, {relative_fileloc})", bundle_name, relative_fileloc
    )


def _insert_request(bundle_name: str, relative_fileloc: str) -> None:
    from airflow.models.dagbag import DagPriorityParsingRequest
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        pending = session.scalar(
            select(DagPriorityParsingRequest.id).where(
                DagPriorityParsingRequest.bundle_name == bundle_name,
                DagPriorityParsingRequest.relative_fileloc == relative_fileloc,
            )
        )
        if pending is None:  # one pending request per file is enough (the id is a hash of both)
            session.add(DagPriorityParsingRequest(bundle_name=bundle_name, relative_fileloc=relative_fileloc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
