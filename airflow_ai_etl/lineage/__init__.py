"""Lineage of the steps: which datasets a step reads and writes, under OpenLineage's names, and
which source columns each written column comes from.

- `columns.py`: column lineage of one SQL statement (sqlglot's `lineage`), no Airflow, no driver;
- `model.py`: the neutral description a step's lineage is built into (datasets, fields, columns);
- `naming.py`: OpenLineage namespaces and dataset names for our connections, as the providers
  name them (`postgres://host:port`, `kafka://broker`, `s3://bucket`, `file`, ...);
- `openlineage.py`: that description as the OpenLineage provider's `OperatorLineage` (imported
  only when the provider asks an operator for its facets);
- `spec.py`: a whole pipeline's lineage from its spec, for the review page, without a database.
"""
