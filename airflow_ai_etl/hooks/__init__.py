"""Hooks this provider owns (systems without an Airflow provider hook we can reuse)."""
