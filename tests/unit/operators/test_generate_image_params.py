"""The system DAG's `image` param, as the worker's task reads it: a checked PNG/JPEG within
`[ai_etl] image_max_mb`, whoever triggered the run; anything else fails the task by name."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_ai_etl.operators.generate import GeneratePipelineOperator, image_from_params
from tests.support.png import write_png


def _param(data: bytes) -> dict[str, Any]:
    return {"media_type": "image/png", "base64": base64.b64encode(data).decode()}


def test_a_png_in_the_params_is_read_back_as_the_image(tmp_path: Path) -> None:
    png = write_png(tmp_path / "er.png").read_bytes()
    image = image_from_params(_param(png))
    assert image is not None and (image.media_type, image.data) == ("image/png", png)
    assert image_from_params(None) is None


@pytest.mark.parametrize(
    ("param", "says"),
    [
        ({"media_type": "image/png", "base64": "not base64!"}, "params.image:"),
        (_param(b"CREATE TABLE x (id int)"), "is not a PNG or JPEG image"),
        ("er.png", 'give {"media_type": ..., "base64": ...} or null'),
    ],
)
def test_a_bad_image_param_fails_the_task_by_name(param: Any, says: str) -> None:
    with pytest.raises(AirflowFailException, match=r"params\.image") as failed:
        image_from_params(param)
    assert says in str(failed.value)


def test_an_image_param_over_the_limit_fails_the_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__IMAGE_MAX_MB", "0.001")
    big = write_png(tmp_path / "big.png", 400, 400).read_bytes()
    with pytest.raises(AirflowFailException, match=r"image_max_mb"):
        image_from_params(_param(big))


def test_a_diagram_creates_its_tables_on_exactly_one_connection(tmp_path: Path) -> None:
    png = write_png(tmp_path / "er.png").read_bytes()
    task = GeneratePipelineOperator(task_id="generate", from_params=True)
    params = {"request": "tables", "conn_ids": ["shop", "warehouse"], "image": _param(png)}
    with pytest.raises(AirflowFailException, match="exactly one connection"):
        task._take_params({"params": params})  # type: ignore[typeddict-item]
    task._take_params({"params": {**params, "conn_ids": ["warehouse"]}})  # type: ignore[typeddict-item]
    assert task.image is not None and task.image.data == png
