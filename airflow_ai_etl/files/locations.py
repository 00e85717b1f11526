"""Where files live: absolute local paths and `s3://bucket/key` URLs, one file or several.

A load location names one file, a prefix (ending in '/') or a glob (`*`, `?`, `[...]` in the last
part), matched in sorted order so every attempt reads the same files in the same order. S3 is
reached through the amazon provider's S3Hook; an S3 object is downloaded to a temporary file
(streamed to disk, never held in memory) just before it is read, and deleted after.

An export location is one file. It is written to a temporary file first and published only when
complete: locally with an atomic rename in the same directory, on S3 with one upload of the whole
object (an object becomes visible only when its upload completes), so nobody ever sees half a file.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

_GLOB_CHARS = re.compile(r"[*?\[]")
#: Bucket names as S3 allows them (3-63 characters; lower case, digits, dots, hyphens).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: The AWS connection used when a step names none: the amazon provider's own default.
DEFAULT_AWS_CONN_ID = "aws_default"


class LocationError(ValueError):
    """A path that is not a usable location; the message names it."""


@dataclass(frozen=True)
class Location:
    """A parsed path: `bucket` is None for a local path; `key` is the path (local) or the object key."""

    path: str
    bucket: str | None
    key: str

    @property
    def is_s3(self) -> bool:
        return self.bucket is not None

    @property
    def is_pattern(self) -> bool:
        """Names several files: a prefix ending in '/' or a glob in the last part."""
        return self.key.endswith("/") or bool(_GLOB_CHARS.search(self.key.rsplit("/", 1)[-1]))

    @property
    def name(self) -> str:
        """The last part of the path (file or object name), e.g. for suffix checks."""
        return self.key.rstrip("/").rsplit("/", 1)[-1]


def parse_location(path: str) -> Location:
    """Parse and check the shape of a path; LocationError says what is wrong with it."""
    if path.startswith("s3://"):
        bucket, _, key = path[len("s3://") :].partition("/")
        if not _BUCKET.match(bucket):
            raise LocationError(f"{path!r}: {bucket!r} is not a valid S3 bucket name")
        if not key:
            raise LocationError(f"{path!r}: give an object key or a prefix after the bucket")
        if _GLOB_CHARS.search(key.rsplit("/", 1)[0]) and "/" in key:
            raise LocationError(f"{path!r}: a glob may only appear in the last part of the key")
        return Location(path=path, bucket=bucket, key=key)
    if "://" in path:
        raise LocationError(f"{path!r}: only local paths and s3:// URLs are supported")
    if not path.startswith("/"):
        raise LocationError(f"{path!r}: a local path must be absolute (workers run in any directory)")
    parent = path.rsplit("/", 1)[0]
    if _GLOB_CHARS.search(parent):
        raise LocationError(f"{path!r}: a glob may only appear in the last part of the path")
    if any(part == ".." for part in PurePosixPath(path).parts):
        raise LocationError(f"{path!r}: '..' is not allowed in a path")
    return Location(path=path, bucket=None, key=path)


def export_location(path: str) -> Location:
    """A location for one output file: not a prefix, not a glob."""
    location = parse_location(path)
    if location.is_pattern:
        raise LocationError(f"{path!r}: an export writes one file; give a file name, not a prefix or glob")
    return location


def s3_hook(storage_conn_id: str | None) -> S3Hook:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=storage_conn_id or DEFAULT_AWS_CONN_ID)


@dataclass(frozen=True)
class Source:
    """One file to read: `name` is what errors show (the path or s3:// URL)."""

    name: str
    location: Location


def _local_matches(location: Location) -> list[Source]:
    if location.key.endswith("/"):
        folder = Path(location.key)
        if not folder.is_dir():
            raise FileNotFoundError(f"directory {location.key} does not exist")
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    elif location.is_pattern:
        directory, pattern = os.path.split(location.key)
        if not Path(directory).is_dir():
            raise FileNotFoundError(f"directory {directory} does not exist (path {location.key})")
        files = sorted(
            p for p in Path(directory).iterdir() if p.is_file() and fnmatch.fnmatchcase(p.name, pattern)
        )
    else:
        if not Path(location.key).is_file():
            raise FileNotFoundError(f"file {location.key} does not exist")
        files = [Path(location.key)]
    return [Source(str(p), Location(path=str(p), bucket=None, key=str(p))) for p in files]


def _s3_matches(location: Location, hook: S3Hook) -> list[Source]:
    bucket = str(location.bucket)
    if not location.is_pattern:
        if hook.head_object(location.key, bucket) is None:
            raise FileNotFoundError(f"S3 object {location.path} does not exist (bucket {bucket!r})")
        keys = [location.key]
    else:
        prefix, _, pattern = location.key.rpartition("/")
        prefix = f"{prefix}/" if prefix else ""
        listed = hook.list_keys(bucket_name=bucket, prefix=prefix)
        keys = sorted(
            key
            for key in listed
            if not key.endswith("/")
            and "/" not in key[len(prefix) :]
            and (not pattern or fnmatch.fnmatchcase(key[len(prefix) :], pattern))
        )
    return [Source(f"s3://{bucket}/{key}", Location(f"s3://{bucket}/{key}", bucket, key)) for key in keys]


def list_sources(location: Location, storage_conn_id: str | None = None) -> list[Source]:
    """The files a load location names, sorted; FileNotFoundError (naming it) when there are none."""
    sources = _s3_matches(location, s3_hook(storage_conn_id)) if location.is_s3 else _local_matches(location)
    if not sources:
        where = "objects" if location.is_s3 else "files"
        raise FileNotFoundError(f"no {where} match {location.path}")
    return sources


@contextlib.contextmanager
def local_copy(source: Source, storage_conn_id: str | None = None) -> Iterator[str]:
    """A local path holding the source's bytes: the file itself, or a downloaded S3 object (removed after)."""
    if not source.location.is_s3:
        yield source.location.key
        return
    hook = s3_hook(storage_conn_id)
    with tempfile.TemporaryDirectory(prefix="ai_etl_s3_") as directory:
        local = os.path.join(directory, "object")
        client: Any = hook.get_conn()
        try:
            client.download_file(str(source.location.bucket), source.location.key, local)
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey"):
                raise FileNotFoundError(f"S3 object {source.name} does not exist") from None
            raise
        yield local


@contextlib.contextmanager
def publishing(location: Location, storage_conn_id: str | None = None) -> Iterator[str]:
    """A temporary local path to write; on a clean exit it is published at `location`, else removed.

    A local target is replaced atomically (rename within its directory, after fsync); an S3 target
    is uploaded whole, replacing the object. Either way the old file stays until the new one is complete.
    """
    if location.is_s3:
        hook = s3_hook(storage_conn_id)
        with tempfile.TemporaryDirectory(prefix="ai_etl_export_") as directory:
            local = os.path.join(directory, location.name)
            yield local
            hook.load_file(local, key=location.key, bucket_name=location.bucket, replace=True)
        return
    final = Path(location.key)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield str(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
