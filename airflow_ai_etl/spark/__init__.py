"""Code that runs inside Spark (submitted with spark-submit), not in Airflow: see sql_job.py."""
