"""PythonTransformOperator: a source's rows, batch by batch, through an approved pure function
running in the sandbox, appended to a target table in one transaction.

The function's code is never imported here: the operator reads the module file the DAG names,
refuses it unless its sha256 is the approved one and it still passes the AST allowlist, and hands
the text to `transforms.sandbox`, which runs it in a limited child process. Only `airflow.sdk` and
light modules are imported at module level (DAG files import this module at every parse).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_ai_etl.operators._checks import check_at_least_one
from airflow_ai_etl.operators._sql import db_hook, insert_statement, source_select

if TYPE_CHECKING:
    from airflow.sdk import Context


class TransformError(RuntimeError):
    """The code file is missing, changed or refused, or the function failed on a batch."""


class PythonTransformOperator(BaseOperator):
    """Read `source_sql` (or all of `source_table`), apply `function` from `code_file` to each batch
    of `batch_size` rows in the sandbox, and append the returned rows to `target_table`.

    :param code_file: the transform's module file, relative to the DAG file's folder.
    :param code_sha256: the sha256 of that file as approved; any other content is refused.
    :param function: the function the file defines.
    """

    template_fields: Sequence[str] = ("source_sql", "source_table", "target_table")
    template_ext: Sequence[str] = ()
    template_fields_renderers = {"source_sql": "sql"}
    ui_color = "#fdf1e6"

    def __init__(
        self,
        *,
        source_conn_id: str,
        target_conn_id: str,
        target_table: str,
        code_file: str,
        code_sha256: str,
        function: str = "transform",
        source_sql: str | None = None,
        source_table: str | None = None,
        batch_size: int = 10_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (source_sql is None) == (source_table is None):
            raise ValueError(f"{self.task_id}: give exactly one of 'source_sql' or 'source_table'")
        check_at_least_one(self.task_id, "batch_size", batch_size)
        if Path(code_file).is_absolute() or ".." in Path(code_file).parts:
            raise ValueError(f"{self.task_id}: 'code_file' must be a path inside the DAG file's folder")
        self.source_conn_id = source_conn_id
        self.target_conn_id = target_conn_id
        self.target_table = target_table
        self.code_file = code_file
        self.code_sha256 = code_sha256
        self.function = function
        self.source_sql = source_sql
        self.source_table = source_table
        self.batch_size = batch_size

    def approved_code(self, dag_folder: Path) -> str:
        """The code file's text, when it is exactly the approved one and passes the allowlist."""
        from airflow_ai_etl.transforms.checker import check_code
        from airflow_ai_etl.transforms.settings import allowed_imports

        path = dag_folder / self.code_file
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TransformError(f"{self.task_id}: cannot read the transform's code {path}: {exc}") from None
        if hashlib.sha256(data).hexdigest() != self.code_sha256:
            raise TransformError(
                f"{self.task_id}: {path} is not the approved code (its sha256 differs from the one in "
                "the DAG file); redeploy the pipeline to approve a change"
            )
        text = data.decode("utf-8")
        findings = check_code(text, self.function, allowed_imports())
        if findings:
            raise TransformError(
                f"{self.task_id}: the transform's code no longer passes the allowlist: "
                + "; ".join(map(str, findings))
            )
        return text

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_ai_etl.hooks.readonly import read_only_connection
        from airflow_ai_etl.operators.transfer.job import one_transaction
        from airflow_ai_etl.operators.transfer.sources import streaming_cursor
        from airflow_ai_etl.transforms.sandbox import isolation
        from airflow_ai_etl.transforms.settings import sandbox_limits

        code = self.approved_code(Path(self.dag.fileloc).parent)
        limits = sandbox_limits()
        self.log.info("Sandbox: %s; limits %s", isolation().describe(), limits)
        source, target = (
            db_hook(self.source_conn_id, "source_conn_id"),
            db_hook(self.target_conn_id, "target_conn_id"),
        )
        source_conn, target_conn = read_only_connection(source), target.get_conn()
        rows_in = rows_out = 0
        with one_transaction(source_conn, target_conn):
            reader = streaming_cursor(source, source_conn)
            reader.execute(source_select(self.source_sql, self.source_table, source.escape_word_format))
            names = [str(d[0]) for d in reader.description or ()]
            writer = target_conn.cursor()
            while batch := reader.fetchmany(self.batch_size):
                rows_in += len(batch)
                out = self._transform(code, names, batch, limits, first_row=rows_in - len(batch) + 1)
                if out:
                    columns = list(out[0])
                    statement = insert_statement(
                        str(self.target_table), columns, target.placeholder, target.escape_word_format
                    )
                    writer.executemany(statement, [tuple(row[c] for c in columns) for row in out])
                    rows_out += len(out)
            reader.close()
        self.log.info("Transformed %d source rows into %d rows of %s", rows_in, rows_out, self.target_table)
        return {"rows_in": rows_in, "rows": rows_out, "target_table": str(self.target_table)}

    def _transform(
        self, code: str, names: list[str], rows: list[Any], limits: Any, *, first_row: int
    ) -> list[dict[str, Any]]:
        import pyarrow as pa

        from airflow_ai_etl.transforms.sandbox import SandboxError, run_transform
        from airflow_ai_etl.transforms.settings import allowed_imports

        batch = pa.RecordBatch.from_pylist([dict(zip(names, row, strict=True)) for row in rows])
        try:
            table = run_transform(
                code, self.function, batch, allowed_imports=allowed_imports(), limits=limits
            )
        except SandboxError as exc:
            last = first_row + len(rows) - 1
            raise TransformError(f"{self.task_id}: source rows {first_row}-{last}: {exc}") from None
        result: list[dict[str, Any]] = table.to_pylist()
        return result
