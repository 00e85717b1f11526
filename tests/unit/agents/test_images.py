"""Image input: PNG/JPEG recognised by their bytes, too-large files refused before being read."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_ai_etl.agents.images import ImageError, read_image_chunks, read_image_file
from tests.support.png import write_png


def test_a_real_png_is_read_with_its_media_type(tmp_path: Path) -> None:
    image = read_image_file(write_png(tmp_path / "er.png"), limit=1024 * 1024)
    assert image.media_type == "image/png"
    assert image.data == (tmp_path / "er.png").read_bytes()


def test_jpeg_is_recognised_by_its_magic_bytes(tmp_path: Path) -> None:
    path = tmp_path / "er.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    assert read_image_file(path, limit=1024).media_type == "image/jpeg"


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "diagram.png"
    path.write_text("CREATE TABLE t (id int)")
    with pytest.raises(ImageError, match="is not a PNG or JPEG image"):
        read_image_file(path, limit=1024)


def test_a_60_mb_file_is_refused_from_its_size_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:  # sparse: 60 MB on paper, nothing on disk
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(60 * 1024 * 1024)
    with pytest.raises(ImageError, match=r"60\.0 MiB; images up to 50\.0 MiB") as refused:
        read_image_file(path, limit=50 * 1024 * 1024)
    assert refused.value.too_large


def test_an_upload_is_refused_as_soon_as_it_passes_the_limit() -> None:
    sent: list[int] = []

    def chunks():  # type: ignore[no-untyped-def]
        for n in range(100):
            sent.append(n)
            yield b"\x89PNG\r\n\x1a\n" + b"\x00" * 1016

    with pytest.raises(ImageError, match="more than"):
        read_image_chunks(chunks(), "upload.png", limit=4 * 1024)
    assert len(sent) == 5  # stopped reading at the first chunk past 4 KiB
