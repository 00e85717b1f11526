"""Schema catalogs of connections: the model, the introspectors, the fingerprint."""

from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table

__all__ = ["Column", "ForeignKey", "SchemaCatalog", "Table"]
