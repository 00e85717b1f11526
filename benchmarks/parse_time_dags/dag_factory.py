"""benchmarks/parse_time.py: the DAG file that loads dag_factory.yml, as dag-factory documents it.

(Airflow's safe mode only parses files that mention both "airflow" and "dag".)
"""

from pathlib import Path

from dagfactory import load_yaml_dags

load_yaml_dags(globals_dict=globals(), config_filepath=str(Path(__file__).with_name("dag_factory.yml")))
