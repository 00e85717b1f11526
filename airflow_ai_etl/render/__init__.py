"""Spec -> DAG source: deterministic, formatted, with spec values only ever as verified literals."""

from airflow_ai_etl.render.dagfile import GENERATED_MARKER, RenderedHeader, read_header, render_dag
from airflow_ai_etl.render.errors import RenderError
from airflow_ai_etl.render.literals import py_literal

__all__ = ["GENERATED_MARKER", "RenderError", "RenderedHeader", "py_literal", "read_header", "render_dag"]
