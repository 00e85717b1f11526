"""The Spark job script's protocol, where it needs no Spark: bad jobs end with an error line the
hook can read, and Spark's messages lose the JVM stack trace py4j appends."""

from __future__ import annotations

import json

import pytest

from airflow_ai_etl.spark.sql_job import ERROR_MARKER, _error_text, _quote, main


def _error_line(output: str) -> dict[str, str]:
    [line] = [line for line in output.splitlines() if line.startswith(ERROR_MARKER)]
    return json.loads(line[len(ERROR_MARKER) :])


def test_a_job_with_an_unknown_action_fails_before_spark_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql_job.py", json.dumps({"action": "drop_everything"})]) == 1
    assert _error_line(capsys.readouterr().out) == {
        "error": "JobError",
        "message": "unknown action 'drop_everything'",
    }


def test_a_job_that_is_not_json_and_a_missing_job(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql_job.py", "{not json"]) == 1
    assert _error_line(capsys.readouterr().out)["error"] == "JSONDecodeError"
    assert main(["sql_job.py"]) == 2
    assert _error_line(capsys.readouterr().out)["error"] == "usage"


def test_spark_messages_lose_the_jvm_stack_trace() -> None:
    error = RuntimeError("[TABLE_OR_VIEW_NOT_FOUND] no t.\n\nJVM stacktrace:\norg.apache.spark...\n\tat x")
    assert _error_text(error) == "[TABLE_OR_VIEW_NOT_FOUND] no t."


@pytest.mark.parametrize("name", ["a.b.c", "t`x", "", "db.", "1t"])
def test_target_names_reach_spark_only_as_plain_identifiers(name: str) -> None:
    with pytest.raises(Exception, match="is not a table name"):
        _quote(name)
    assert _quote("db.t_1") == "`db`.`t_1`"
