"""An uploaded or named ER-diagram image, checked before anything reads it whole.

Only PNG and JPEG are accepted, recognised by their magic bytes (a file name or a declared
content type proves nothing), and only up to `[ai_etl] image_max_mb`: a larger file is refused
from its size (on disk) or while it streams in (an upload), never after reading it all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Default largest image accepted, in MiB.
DEFAULT_MAX_MB = 20
_MIB = 1024 * 1024
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_SNIFF = 8


class ImageError(ValueError):
    """The input is not a PNG or JPEG image, or too large; the message says which and what to do."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class Image:
    data: bytes
    media_type: str
    name: str


def max_image_bytes() -> int:
    from airflow_ai_etl.config import config_float

    return int(config_float("image_max_mb", DEFAULT_MAX_MB) * _MIB)


def media_type(head: bytes, name: str) -> str:
    """The image's media type from its first bytes (ImageError for anything but PNG and JPEG)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    raise ImageError(
        f"{name} is not a PNG or JPEG image (its first bytes are {head[:_SNIFF].hex(' ') or 'empty'})"
    )


def _size(n: int) -> str:
    return f"{n / _MIB:.1f} MiB" if n >= _MIB else f"{n / 1024:.1f} KiB"


def _too_large(name: str, size: int | None, limit: int) -> ImageError:
    what = _size(size) if size is not None else f"more than {_size(limit)}"
    return ImageError(
        f"{name} is {what}; images up to {_size(limit)} are accepted ([ai_etl] image_max_mb): "
        "export the diagram at a lower resolution",
        too_large=True,
    )


def read_image_file(path: Path, limit: int | None = None) -> Image:
    """A PNG or JPEG file, its size checked before it is read."""
    limit = max_image_bytes() if limit is None else limit
    try:
        size = path.stat().st_size
        if size > limit:
            raise _too_large(str(path), size, limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # never more than the limit, even if the file grew
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _bounded(data, media_type(data[:_SNIFF], str(path)), str(path), limit)


def read_image_chunks(chunks: Iterable[bytes], name: str, limit: int | None = None) -> Image:
    """An image arriving in chunks (an upload): refused as soon as it passes the limit."""
    limit = max_image_bytes() if limit is None else limit
    received = bytearray()
    for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise _too_large(name, None, limit)
    return _bounded(bytes(received), media_type(bytes(received[:_SNIFF]), name), name, limit)


def _bounded(data: bytes, kind: str, name: str, limit: int) -> Image:
    if len(data) > limit:  # the file grew between stat and read
        raise _too_large(name, None, limit)
    return Image(data=data, media_type=kind, name=name)
