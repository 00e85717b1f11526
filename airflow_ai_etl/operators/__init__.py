"""Operators the generated DAGs run on (only airflow.sdk is imported until a task executes)."""

from airflow_ai_etl.operators.files import FileToSqlOperator, SqlToFileOperator
from airflow_ai_etl.operators.kafka import KafkaToSqlOperator
from airflow_ai_etl.operators.quality import FreshnessOperator, RowCountChangeOperator
from airflow_ai_etl.operators.transfer import TransferOperator

__all__ = [
    "FileToSqlOperator",
    "FreshnessOperator",
    "KafkaToSqlOperator",
    "RowCountChangeOperator",
    "SqlToFileOperator",
    "TransferOperator",
]
