# The official Airflow image plus this package's wheel and the extras the compose stack uses.
#   docker build -t airflow-ai-etl:dev .          (or: docker compose build)
# Build args: AIRFLOW_VERSION (must match the base image), AI_ETL_EXTRAS.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11

FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION} AS wheel
COPY --chown=airflow:root pyproject.toml README.md /src/
COPY --chown=airflow:root airflow_ai_etl /src/airflow_ai_etl
RUN pip wheel --no-deps --wheel-dir /tmp/wheels /src

FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}
ARG AIRFLOW_VERSION
ARG AI_ETL_EXTRAS=postgres,clickhouse,kafka,amazon,transfer,memory
USER root
# git: the git deploy target; a JRE: spark-submit on a `local` master (the spark extra).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openjdk-17-jre-headless \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --from=wheel /tmp/wheels /tmp/wheels
# Pinning apache-airflow keeps pip from moving Airflow while it adds the providers.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" \
        "$(ls /tmp/wheels/airflow_ai_etl-*.whl)[${AI_ETL_EXTRAS}]" \
    && pip check
COPY --chown=airflow:root dags /opt/airflow/dags/examples
