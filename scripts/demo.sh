#!/usr/bin/env bash
# Quick start 1: the main job end to end on embedded defaults (SQLite everywhere, no API key, no server).
#   1. spec (examples/demo/orders_to_warehouse.yaml) -> validated -> rendered -> deployed into
#      .demo/dags -> run by Airflow (`airflow dags test`) -> rows in the warehouse.
#   2. a plain-language request -> `ai-etl generate --offline` (the offline planner: no model, no key)
#      -> draft in .demo/drafts -> deployed -> run by Airflow.
# Rerunnable: the shop database is recreated identically and the load is incremental + upsert by key,
# so a second run moves nothing new and the warehouse keeps the same rows, without duplicates.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$ROOT"

DEMO="$ROOT/.demo"
DATA="$DEMO/data"
LOGS="$DEMO/logs"
SPEC="$ROOT/examples/demo/orders_to_warehouse.yaml"
DAG_ID=orders_to_warehouse
mkdir -p "$DEMO/dags" "$DATA" "$LOGS"

ensure_venv

export AIRFLOW_HOME="$DEMO"
export AIRFLOW__CORE__DAGS_FOLDER="$DEMO/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$DEMO/airflow.db"
# Connections come from the environment: nothing to create, no secrets anywhere.
export AIRFLOW_CONN_SHOP="{\"conn_type\": \"sqlite\", \"host\": \"$DATA/shop.db\"}"
export AIRFLOW_CONN_WAREHOUSE="{\"conn_type\": \"sqlite\", \"host\": \"$DATA/warehouse.db\"}"
export PATH="$VENV/bin:$PATH"

# run_logged LOGFILE COMMAND...: keep the console readable; show the log when the step fails.
run_logged() {
    local logfile="$1"
    shift
    if ! "$@" >"$logfile" 2>&1; then
        tail -n 60 "$logfile" >&2
        die "'$*' failed; full log: $logfile"
    fi
}

warehouse_rows() {
    python - "$DATA/warehouse.db" <<'PY'
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as conn:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'fact_orders'").fetchone()
    print(conn.execute("SELECT COUNT(*) FROM fact_orders").fetchone()[0] if exists else 0)
PY
}

log "Airflow metadata database (SQLite, $DEMO/airflow.db)"
run_logged "$LOGS/db-migrate.log" airflow db migrate

log "demo source database $DATA/shop.db and warehouse $DATA/warehouse.db"
python examples/demo/shop_db.py "$DATA/shop.db"
python -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).close()' "$DATA/warehouse.db"
before="$(warehouse_rows)"

log "ai-etl deploy $(realpath --relative-to="$ROOT" "$SPEC") --dags-folder .demo/dags"
ai-etl deploy "$SPEC" --dags-folder "$DEMO/dags"

log "airflow dags test $DAG_ID (task logs: $LOGS/dags-test.log)"
run_logged "$LOGS/dags-test.log" airflow dags test "$DAG_ID"
# The transfer's own report of this run (e.g. "Wrote 300 rows to fact_orders (mode incremental)").
grep -Eo "Wrote [0-9]+ rows? to [^[]+" "$LOGS/dags-test.log" | sed 's/^/    load_orders: /' || true

after="$(warehouse_rows)"
log "warehouse table fact_orders"
python - "$DATA/warehouse.db" <<'PY'
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as conn:
    cur = conn.execute(
        "SELECT order_id, customer_name, country, status, item_count, total_amount, updated_at"
        " FROM fact_orders ORDER BY order_id LIMIT 5"
    )
    names = [d[0] for d in cur.description]
    rows = [names, *([str(v) for v in row] for row in cur)]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(names))]
    for row in rows:
        print("    " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths)))
    print("    ...")
PY
echo "    rows in fact_orders: $after ($((after - before)) new this run)"

REQUEST="every day at 2am copy new customers into the warehouse; customer_id must be unique"
log "ai-etl generate \"$REQUEST\" --conn shop --conn warehouse --offline --deploy"
ai-etl generate "$REQUEST" --conn shop --conn warehouse --offline --out "$DEMO/drafts" \
    --deploy --dags-folder "$DEMO/dags"
log "airflow dags test customers_to_warehouse (task logs: $LOGS/dags-test-generated.log)"
run_logged "$LOGS/dags-test-generated.log" airflow dags test customers_to_warehouse
customers="$(python -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM customers").fetchone()[0])' "$DATA/warehouse.db")"
echo "    rows in the warehouse's customers table: $customers"

printf '\nSUCCESS: %s and the generated customers_to_warehouse were deployed to .demo/dags and run by\n' "$DAG_ID"
printf 'Airflow; the warehouse holds %s orders and %s customers.\n' "$after" "$customers"
