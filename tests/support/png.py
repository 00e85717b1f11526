"""A real PNG file, written with the standard library (tests need an image, not a drawing tool)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def write_png(path: Path, width: int = 120, height: int = 60) -> Path:
    """An RGB image of two boxes joined by a line: the shape of a two-table ER diagram."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0 per scanline
        for x in range(width):
            box = (10 <= x <= 45 or 75 <= x <= 110) and 10 <= y <= 50
            edge = box and (x in (10, 45, 75, 110) or y in (10, 50))
            link = 45 < x < 75 and y == 30
            row += bytes((0, 0, 0) if edge or link else (255, 255, 255))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
    path.write_bytes(data + _chunk(b"IEND", b""))
    return path
