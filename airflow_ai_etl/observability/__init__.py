"""What the package reports about itself: metrics through Airflow's Stats, telemetry rows in ClickHouse."""
