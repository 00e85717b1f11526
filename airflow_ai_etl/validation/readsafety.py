"""Read safety: SQL in a spec may read the connection's data, never touch the server itself.

Pure functions over a parsed sqlglot tree, the connection's dialect and its catalog. Every
function call and every relation in the tree is judged, wherever it sits (a transfer's source, a
file export, a quality condition, the WHERE of a granted DELETE):

1. The floor: classes of functions and relations that act on the server rather than read data
   are refused by name in every dialect (`UNSAFE_FUNCTIONS`, `UNSAFE_RELATIONS`).
2. A user-defined function from the live catalog is allowed only when it is IMMUTABLE or STABLE
   (a VOLATILE function, or a procedure, may write).
3. Otherwise a function must be known to be free of side effects: one sqlglot models as a typed
   expression (standard SQL and dialect built-ins it translates), or one on the dialect's
   allowlist below. Anything else is refused: an unknown function is not trusted.
4. A system relation (a system schema's, `pg_*`, `sqlite_*`) must be on the allowlist of
   harmless metadata views; the connection's own tables are checked by validation/sql/'s catalog rules.
5. Row locks (`FOR UPDATE`/`FOR SHARE`) are refused: a read must not block writers.

Finding codes (errors):
- `sql.unsafe_function` - a function on the floor (the class it belongs to is named).
- `sql.function_not_allowed` - a function not known to be free of side effects, or a VOLATILE
  user-defined function.
- `sql.system_relation` - a system catalog or view that is not on the allowlist.
- `sql.row_lock` - SELECT ... FOR UPDATE / FOR SHARE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.validation.report import Finding, Severity

#: Function classes that act on the server, not on the data (lower-case full-name patterns).
UNSAFE_FUNCTIONS: dict[str, re.Pattern[str]] = {
    "sequences (advance or set a counter)": re.compile(r"nextval|setval|currval|lastval|nextvaluefor"),
    "large objects (server-side files)": re.compile(
        r"lo_\w+|lo(open|close|read|write|creat|create|unlink|seek|seek64|tell|tell64|truncate|truncate64)"
    ),
    "server files": re.compile(
        r"pg_(read_file|read_binary_file|ls_\w+|stat_file|file_\w+)|file|readfile|writefile|edit"
        r"|load_extension|read_(csv|parquet|json|text|blob|ndjson)\w*|tofile|readcsv|readparquet"
    ),
    "remote access": re.compile(
        r"dblink\w*|url|urlcluster|s3|s3cluster|gcs|azureblobstorage\w*|remote|remotesecure|cluster"
        r"|clusterallreplicas|mysql|postgresql|hdfs|hdfscluster|jdbc|odbc|mongodb|redis|sqlite|hive"
        r"|iceberg\w*|deltalake\w*|hudi\w*|fuzzyjsonschema|http_\w+"
    ),
    "code on the host": re.compile(r"reflect|try_reflect|java_method|executable|system|shell\w*"),
    "backend and configuration control": re.compile(
        r"set_config|current_setting|getsetting|getserversetting|getmacro|pg_(terminate_backend"
        r"|cancel_backend|reload_conf|rotate_logfile\w*|switch_wal|create_restore_point|backup_\w+"
        r"|start_backup|stop_backup|promote|wal_replay_\w+|log_\w+|stat_reset\w*|drop_replication_slot"
        r"|create_\w+_replication_slot|copy_\w+_replication_slot|replication_origin_\w+|notify"
        r"|import_system_collations|logical_emit_message|logical_slot_\w+|sync_replication_slots"
        r"|truncate_visibility_map|nextoid|current_logfile|conf_load_time|postmaster_start_time)"
        r"|setseed|secret"
    ),
    "advisory locks": re.compile(r"pg_(try_)?advisory_\w+"),
    "sleeping": re.compile(r"pg_sleep\w*|sleep|sleepeachrow|benchmark"),
    "dynamic SQL": re.compile(r"(query|cursor|table|schema|database)_to_xml\w*|exec|execute|eval"),
}

#: System relations that expose credentials, settings, other sessions or server files.
UNSAFE_RELATIONS: dict[str, re.Pattern[str]] = {
    "credentials and roles": re.compile(
        r"(pg_catalog\.)?pg_(authid|shadow|user|roles|auth_members|user_mappings?|group)"
        r"|system\.(users|roles|grants|role_grants|quotas|quota_\w+|settings_profiles\w*|row_policies"
        r"|named_collections|user_directories|enabled_roles|current_roles)|mysql\.user"
    ),
    "server settings": re.compile(
        r"(pg_catalog\.)?pg_(settings|file_settings|hba_file_rules|ident_file_mappings|config|db_role_setting)"
        r"|system\.(settings|server_settings|merge_tree_settings|macros|build_options)"
    ),
    "other sessions and the query log": re.compile(
        r"(pg_catalog\.)?pg_stat_(activity|statements\w*|ssl|gssapi|replication\w*|wal_receiver)"
        r"|system\.(processes|query_log|query_thread_log|session_log|text_log|trace_log)"
    ),
    "large objects (server-side files)": re.compile(r"(pg_catalog\.)?pg_largeobject\w*"),
}

#: Harmless metadata views a read may name (schema-qualified; `pg_catalog.` may be left out).
SAFE_RELATIONS = frozenset(
    {
        *(
            f"information_schema.{name}"
            for name in [
                "tables",
                "columns",
                "views",
                "schemata",
                "table_constraints",
                "key_column_usage",
                "referential_constraints",
                "constraint_column_usage",
                "check_constraints",
            ]
        ),
        *(
            f"pg_catalog.{name}"
            for name in [
                "pg_tables",
                "pg_views",
                "pg_matviews",
                "pg_indexes",
                "pg_namespace",
                "pg_class",
                "pg_attribute",
                "pg_type",
                "pg_index",
                "pg_constraint",
                "pg_description",
                "pg_stat_user_tables",
                "pg_statio_user_tables",
            ]
        ),
        *(
            f"system.{name}"
            for name in ["one", "tables", "columns", "databases", "parts", "data_type_families"]
        ),
        "sqlite_master",
        "sqlite_schema",
    }
)

#: Built-ins per dialect that sqlglot keeps as plain (untyped) calls and that only compute.
_SAFE_FUNCTIONS: dict[str, frozenset[str]] = {
    "postgres": frozenset(
        [
            "abbrev",
            "age",
            "array_dims",
            "array_lower",
            "array_ndims",
            "array_positions",
            "array_replace",
            "array_to_json",
            "array_upper",
            "bool",
            "cardinality",
            "casefold",
            "convert_from",
            "convert_to",
            "date_subtract",
            "daterange",
            "every",
            "family",
            "float8",
            "int",
            "int4",
            "int4range",
            "int8",
            "int8range",
            "isempty",
            "isfinite",
            "json_array_elements",
            "json_array_length",
            "json_build_object",
            "json_typeof",
            "jsonb_agg",
            "jsonb_array_elements",
            "jsonb_array_elements_text",
            "jsonb_array_length",
            "jsonb_build_object",
            "jsonb_each",
            "jsonb_each_text",
            "jsonb_extract_path",
            "jsonb_extract_path_text",
            "jsonb_object_keys",
            "jsonb_path_exists",
            "jsonb_path_query",
            "jsonb_pretty",
            "jsonb_set",
            "jsonb_strip_nulls",
            "jsonb_typeof",
            "lower_inf",
            "make_date",
            "make_timestamptz",
            "masklen",
            "netmask",
            "network",
            "num_nonnulls",
            "num_nulls",
            "numeric",
            "numrange",
            "octet_length",
            "pg_typeof",
            "quote_ident",
            "quote_literal",
            "quote_nullable",
            "range_merge",
            "regexp_match",
            "regexp_matches",
            "regexp_split_to_array",
            "regexp_split_to_table",
            "row_to_json",
            "sha224",
            "statement_timestamp",
            "text",
            "timezone",
            "to_json",
            "to_jsonb",
            "transaction_timestamp",
            "tsrange",
            "tstzrange",
            "unistr",
            "upper_inf",
        ]
    ),
    "spark": frozenset(
        [
            "bround",
            "count_distinct",
            "crc32",
            "format_number",
            "hash",
            "input_file_name",
            "json_tuple",
            "map_values",
            "monotonically_increasing_id",
            "now",
            "pmod",
            "schema_of_json",
            "spark_partition_id",
            "xxhash64",
        ]
    ),
    "sqlite": frozenset(
        [
            "changes",
            "date",
            "datetime",
            "json",
            "json_array",
            "json_array_length",
            "json_each",
            "json_insert",
            "json_patch",
            "json_quote",
            "json_replace",
            "json_tree",
            "json_valid",
            "julianday",
            "last_insert_rowid",
            "likelihood",
            "likely",
            "octet_length",
            "printf",
            "quote",
            "randomblob",
            "time",
            "timediff",
            "total",
            "total_changes",
            "unixepoch",
            "unlikely",
            "zeroblob",
        ]
    ),
}
_SAFE_FUNCTIONS["hive"] = _SAFE_FUNCTIONS["databricks"] = _SAFE_FUNCTIONS["spark"]

#: ClickHouse has ~1,500 built-ins in regular families; these families only compute values.
_CLICKHOUSE_SAFE = re.compile(
    r"(to|is|array|map|tuple|json|bit|date|time|from|parse|format|string|substring|split|extract"
    r"|replace|position|match|multi|has|empty|not|length|lower|upper|trim|concat|reverse|left|right"
    r"|base64|hex|unhex|url_?|domain|path|query|ip|mac|geo|h3|round|floor|ceil|trunc|abs|sign|sqrt"
    r"|exp|log|pow|sin|cos|tan|greatest|least|if|multiif|coalesce|ifnull|nullif|assumenotnull"
    r"|count|sum|avg|min|max|any|arg|uniq|quantile|median|group|top|stddev|var|covar|corr|first"
    r"|last|row_number|rank|dense_rank|lag|lead|nth|now|today|yesterday|age|add|subtract|plus"
    r"|minus|multiply|divide|modulo|intdiv|negate|equals|less|greater|and|or|xor|city|sip|murmur"
    r"|xxhash|farm|md5|sha|crc|halfmd5|javahash|hiveHash|wordshingle|ngram|encode|decode|char"
    r"|ascii|lpad|rpad|leftpad|rightpad|range|number|rand|generateuuid|uuid|visitparam|sequence"
    r"|window|running|neighbor|bar|transform|pi|cast|accurate|reinterpret|finalize|initialize"
    r"|dict|regexp)\w*",
    re.IGNORECASE,
)
_CLICKHOUSE_NOT_FAMILY = re.compile(r"url|urlcluster|file|input|executable", re.IGNORECASE)


def read_safety_findings(
    root: exp.Expr, dialect: str | None, catalog: SchemaCatalog | None = None
) -> list[Finding]:
    """Findings for every unsafe function call, system relation and row lock in `root`."""
    findings: dict[str, Finding] = {}
    for finding in _findings(root, dialect, catalog):
        findings.setdefault(finding.message, finding)
    return list(findings.values())


def _findings(root: exp.Expr, dialect: str | None, catalog: SchemaCatalog | None) -> Iterator[Finding]:
    for node in root.walk():
        if isinstance(node, exp.Func):
            finding = _function_finding(node, dialect, catalog)
            if finding is not None:
                yield finding
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            finding = _relation_finding(node)
            if finding is not None:
                yield finding
        elif isinstance(node, exp.Lock):
            yield _error(
                "sql.row_lock",
                "SELECT ... FOR UPDATE/SHARE locks rows: a read must not block the source's writers",
                "remove the locking clause",
            )


def _error(code: str, message: str, hint: str) -> Finding:
    return Finding(severity=Severity.ERROR, code=code, message=message, hint=hint)


def _function_name(node: exp.Func) -> tuple[str, str]:
    """(name, schema-qualified name) as written; sqlglot's typed functions give their class name."""
    name = str(node.this) if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc) else type(node).__name__
    qualifier = (
        node.parent.this if isinstance(node.parent, exp.Dot) and node.parent.expression is node else None
    )
    qualified = f"{qualifier.name}.{name}" if isinstance(qualifier, exp.Column | exp.Identifier) else name
    return name, qualified


def unsafe_class(name: str) -> str | None:
    """The floor class a function name belongs to, if any."""
    lowered = name.lower()
    return next((what for what, pattern in UNSAFE_FUNCTIONS.items() if pattern.fullmatch(lowered)), None)


def _function_finding(node: exp.Func, dialect: str | None, catalog: SchemaCatalog | None) -> Finding | None:
    name, qualified = _function_name(node)
    what = unsafe_class(name)
    if what is not None:
        return _error(
            "sql.unsafe_function",
            f"{name}() is refused: {what} act on the database server, not on the connection's data",
            "read the connection's tables with built-in functions only",
        )
    defined = catalog.find_functions(qualified) if catalog is not None else []
    if catalog is not None and defined:
        if all(f.volatility != "volatile" and f.kind != "procedure" for f in defined):
            return None
        return _error(
            "sql.function_not_allowed",
            f"{qualified}() is a VOLATILE user-defined function on connection {catalog.conn_id}: "
            "it may change data, so SQL in a spec must not call it",
            "declare it IMMUTABLE or STABLE if it only computes, or do the work in a sql step",
        )
    if not isinstance(node, exp.Anonymous | exp.AnonymousAggFunc) or _known_safe(name, dialect):
        return None
    return _error(
        "sql.function_not_allowed",
        f"{name}() is not known to be free of side effects on {dialect or 'this database'}",
        "use a built-in function, or an IMMUTABLE/STABLE function defined on the connection",
    )


def _known_safe(name: str, dialect: str | None) -> bool:
    lowered = name.lower()
    if dialect == "clickhouse":
        return bool(_CLICKHOUSE_SAFE.fullmatch(lowered)) and not _CLICKHOUSE_NOT_FAMILY.fullmatch(lowered)
    if dialect in _SAFE_FUNCTIONS:
        return lowered in _SAFE_FUNCTIONS[dialect]
    return any(lowered in names for names in _SAFE_FUNCTIONS.values())


def _relation_finding(table: exp.Table) -> Finding | None:
    schema, name = table.db.lower(), table.name.lower()
    qualified = f"{schema}.{name}" if schema else name
    if not is_system_relation(schema, name):
        return None
    what = next((w for w, pattern in UNSAFE_RELATIONS.items() if pattern.fullmatch(qualified)), None)
    if what is not None:
        return _error(
            "sql.system_relation",
            f"{qualified} is refused: it exposes {what}",
            "read the connection's own tables",
        )
    if qualified in SAFE_RELATIONS or f"pg_catalog.{qualified}" in SAFE_RELATIONS:
        return None
    return _error(
        "sql.system_relation",
        f"{qualified} is a system relation that is not on the allowlist of harmless metadata views",
        "read the connection's own tables (or information_schema.tables/columns for metadata)",
    )


#: Schemas that hold the database's own relations, which catalogs leave out on purpose.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "sys", "system", "mysql"})
_SYSTEM_TABLES = re.compile(r"^(pg_|sqlite_(master|schema|temp_master|sequence)$)")


def is_system_relation(schema: str, name: str) -> bool:
    """A relation of the database itself: in a system schema, or an unqualified `pg_*`/`sqlite_*`."""
    if schema.lower() in SYSTEM_SCHEMAS:
        return True
    return not schema and bool(_SYSTEM_TABLES.match(name.lower()))
