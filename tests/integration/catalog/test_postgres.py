"""The PostgreSQL fast path and the generic SQLAlchemy path, against a real server."""

from __future__ import annotations

from collections.abc import Callable

import psycopg2
import pytest
from sqlglot import exp

from airflow_ai_etl.catalog import CatalogError, SchemaCatalog, Table, introspect, introspect_hook

pytestmark = pytest.mark.integration

SHOP_DDL = """
CREATE SCHEMA sales;
CREATE SCHEMA events;

CREATE TABLE public.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region text NOT NULL,
    code integer NOT NULL,
    email varchar(200),
    UNIQUE (region, code)
);
COMMENT ON TABLE public.customers IS 'People who buy';
COMMENT ON COLUMN public.customers.email IS 'Login address';

CREATE TABLE sales.orders (
    order_id serial PRIMARY KEY,
    cust_region text,
    cust_code integer,
    amount numeric(12,2) NOT NULL DEFAULT 0,
    placed_at timestamptz NOT NULL DEFAULT now(),
    details jsonb,
    tracking uuid,
    doubled numeric GENERATED ALWAYS AS (amount * 2) STORED,
    FOREIGN KEY (cust_region, cust_code) REFERENCES public.customers (region, code)
);

CREATE TABLE sales.order_lines (
    order_id integer NOT NULL REFERENCES sales.orders,
    line_no smallint NOT NULL,
    sku text NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE VIEW sales.big_orders AS SELECT order_id, amount FROM sales.orders WHERE amount > 100;
COMMENT ON VIEW sales.big_orders IS 'Orders over 100';
CREATE MATERIALIZED VIEW sales.daily AS SELECT placed_at::date AS day, sum(amount) AS total
    FROM sales.orders GROUP BY 1;

INSERT INTO public.customers (region, code) SELECT 'eu', g FROM generate_series(1, 50) AS g;
ANALYZE public.customers;

CREATE TABLE events.clicks (id bigint, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events.clicks_2024 PARTITION OF events.clicks FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events.clicks_2025 PARTITION OF events.clicks FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events.click_notes (click_id bigint, click_at date, note text,
    FOREIGN KEY (click_id, click_at) REFERENCES events.clicks);
INSERT INTO events.clicks SELECT g, DATE '2024-03-01' + g FROM generate_series(1, 300) AS g;
ANALYZE events.clicks_2024;
CREATE FUNCTION sales.net(amount numeric, rate numeric) RETURNS numeric
    IMMUTABLE LANGUAGE sql AS 'SELECT amount / (1 + rate)';
CREATE FUNCTION public.today_orders() RETURNS SETOF sales.orders STABLE LANGUAGE sql
    AS 'SELECT * FROM sales.orders WHERE placed_at::date = current_date';
CREATE FUNCTION public.bump() RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint';
CREATE AGGREGATE sales.total(numeric) (SFUNC = numeric_add, STYPE = numeric);
CREATE PROCEDURE public.tidy() LANGUAGE sql AS 'SELECT 1';
ANALYZE events.clicks_2025;
"""


def _execute(uri: str, sql: str) -> None:
    conn = psycopg2.connect(uri)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _uri(conn_id: str) -> str:
    from airflow.sdk import BaseHook

    return BaseHook.get_connection(conn_id).get_uri()


@pytest.fixture
def shop(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> str:
    """A database with the shapes a catalog must get right; returns its connection id."""
    uri = pg_database()
    _execute(uri, SHOP_DDL)
    airflow_conn("shop_pg", uri)
    return "shop_pg"


def _table(catalog: SchemaCatalog, name: str) -> Table:
    table = catalog.find_table(name)
    assert table is not None, f"{name} missing from {[t.qualified_name for t in catalog.tables]}"
    return table


def test_relations_and_default_schema(shop: str) -> None:
    other_session = psycopg2.connect(_uri(shop))
    other_session.autocommit = True
    try:
        with other_session.cursor() as cur:  # a temporary table lives while its session does
            cur.execute("CREATE TEMPORARY TABLE scratch (x int)")
        catalog = introspect(shop)
    finally:
        other_session.close()

    assert catalog.conn_id == "shop_pg"
    assert catalog.dialect == "postgres"
    assert catalog.default_schema == "public"
    # Partitions, system schemas and the session's temporary table are not part of the catalog.
    assert [(t.qualified_name, t.kind) for t in catalog.tables] == [
        ("events.click_notes", "table"),
        ("events.clicks", "table"),
        ("public.customers", "table"),
        ("sales.big_orders", "view"),
        ("sales.daily", "materialized_view"),
        ("sales.order_lines", "table"),
        ("sales.orders", "table"),
    ]


def test_columns_types_nullability_defaults_comments(shop: str) -> None:
    catalog = introspect(shop)
    orders = _table(catalog, "sales.orders")
    customers = _table(catalog, "customers")

    assert [(c.name, c.type, c.nullable, c.default) for c in orders.columns] == [
        ("order_id", "integer", False, "nextval('sales.orders_order_id_seq'::regclass)"),
        ("cust_region", "text", True, None),
        ("cust_code", "integer", True, None),
        ("amount", "numeric(12,2)", False, "0"),
        ("placed_at", "timestamp with time zone", False, "now()"),
        ("details", "jsonb", True, None),
        ("tracking", "uuid", True, None),
        ("doubled", "numeric", True, "generated always as ((amount * (2)::numeric)) stored"),
    ]
    assert customers.comment == "People who buy"
    assert customers.column("id").default == "generated always as identity"  # type: ignore[union-attr]
    assert customers.column("email").type == "character varying(200)"  # type: ignore[union-attr]
    assert customers.column("email").comment == "Login address"  # type: ignore[union-attr]
    assert customers.column("region").comment is None  # type: ignore[union-attr]
    big_orders = _table(catalog, "sales.big_orders")
    assert big_orders.comment == "Orders over 100"
    assert [(c.name, c.type) for c in big_orders.columns] == [
        ("order_id", "integer"),
        ("amount", "numeric(12,2)"),
    ]


def test_primary_and_foreign_keys(shop: str) -> None:
    catalog = introspect(shop)

    assert _table(catalog, "public.customers").primary_key == ["id"]
    assert _table(catalog, "sales.order_lines").primary_key == ["order_id", "line_no"]
    assert _table(catalog, "events.clicks").primary_key == ["id", "at"]
    assert _table(catalog, "sales.big_orders").primary_key == []
    # A composite key across schemas, columns in key order on both sides.
    [to_customers] = _table(catalog, "sales.orders").foreign_keys
    assert (to_customers.columns, to_customers.ref_table, to_customers.ref_columns) == (
        ["cust_region", "cust_code"],
        "public.customers",
        ["region", "code"],
    )
    [to_orders] = _table(catalog, "sales.order_lines").foreign_keys
    assert (to_orders.columns, to_orders.ref_table, to_orders.ref_columns) == (
        ["order_id"],
        "sales.orders",
        ["order_id"],
    )
    # A key to a partitioned table appears once, naming the parent, not once per partition.
    [to_clicks] = _table(catalog, "events.click_notes").foreign_keys
    assert (to_clicks.ref_table, to_clicks.ref_columns) == ("events.clicks", ["id", "at"])


def test_approximate_row_counts(shop: str) -> None:
    catalog = introspect(shop)

    assert _table(catalog, "public.customers").row_count == 50  # analysed
    assert _table(catalog, "events.clicks").row_count == 300  # the sum over its partitions
    assert _table(catalog, "sales.orders").row_count is None  # never analysed: unknown, not 0
    assert _table(catalog, "sales.big_orders").row_count is None  # a view has no count


def test_user_defined_functions_with_kind_and_volatility(shop: str) -> None:
    catalog = introspect(shop)

    described = [
        (f.qualified_name, f.argument_types, f.return_type, f.kind, f.volatility) for f in catalog.functions
    ]
    assert described == [
        ("public.bump", [], "bigint", "normal", "volatile"),
        ("public.tidy", [], "", "procedure", "volatile"),
        ("public.today_orders", [], "SETOF sales.orders", "normal", "stable"),
        ("sales.net", ["numeric", "numeric"], "numeric", "normal", "immutable"),
        ("sales.total", ["numeric"], "numeric", "aggregate", "immutable"),
    ]
    assert not any(f.schema_name == "pg_catalog" for f in catalog.functions)


def test_schema_filter(shop: str) -> None:
    catalog = introspect(shop, schemas=["sales"])

    assert {t.schema_name for t in catalog.tables} == {"sales"}
    assert {f.schema_name for f in catalog.functions} == {"sales"}
    assert len(catalog.tables) == 4
    assert _table(catalog, "sales.orders").foreign_keys[0].ref_table == "public.customers"


def test_default_schema_follows_the_search_path(
    pg_database: Callable[[], str], airflow_conn: Callable[..., None]
) -> None:
    uri = pg_database()
    database = uri.rsplit("/", 1)[1]
    _execute(uri, "CREATE SCHEMA app; CREATE TABLE app.t (x int)")
    _execute(uri, f'ALTER DATABASE "{database}" SET search_path = app, public')
    airflow_conn("app_pg", uri)

    catalog = introspect("app_pg")

    assert catalog.default_schema == "app"
    assert _table(catalog, "t").qualified_name == "app.t"


def test_a_thousand_tables(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> None:
    uri = pg_database()
    ddl = [
        f"CREATE TABLE wide.t{i:04d} (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2)"
        + (f", prev_id bigint REFERENCES wide.t{i - 1:04d}(id)" if i % 3 == 2 else "")
        + ")"
        for i in range(1000)
    ]
    _execute(uri, "CREATE SCHEMA wide;\n" + ";\n".join(ddl) + ";\nCOMMENT ON TABLE wide.t0500 IS 'middle'")
    airflow_conn("wide_pg", uri)

    catalog = introspect("wide_pg")

    assert len(catalog.tables) == 1000
    assert [t.name for t in catalog.tables] == [f"t{i:04d}" for i in range(1000)]
    for table in catalog.tables:
        assert [(c.name, c.nullable) for c in table.columns][:3] == [
            ("id", False),
            ("name", False),
            ("amount", True),
        ]
        assert table.primary_key == ["id"]
    assert sum(len(t.foreign_keys) for t in catalog.tables) == 333
    assert _table(catalog, "wide.t0500").foreign_keys[0].ref_table == "wide.t0499"
    assert _table(catalog, "wide.t0500").comment == "middle"
    assert sum(t.comment is not None for t in catalog.tables) == 1


def _normalised(catalog: SchemaCatalog) -> list[tuple[object, ...]]:
    """Structure with types compared as sqlglot understands them ('numeric(12,2)' = 'NUMERIC(12, 2)')."""
    return [
        (
            t.qualified_name,
            t.kind,
            t.comment,
            t.primary_key,
            t.foreign_keys,
            [
                (c.name, exp.DataType.build(c.type, dialect="postgres"), c.nullable, c.default, c.comment)
                for c in t.columns
            ],
        )
        for t in catalog.tables
    ]


def test_generic_path_agrees_with_the_fast_path(shop: str) -> None:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id=shop)
    # SQLAlchemy lists partitions as tables of their own: compare the schemas without them.
    schemas = ["public", "sales"]

    fast = introspect_hook(hook, shop, "postgres", schemas=schemas)
    generic = introspect_hook(hook, shop, "", schemas=schemas)

    assert generic.dialect == "postgres"  # from SQLAlchemy's dialect when the type did not say
    assert generic.default_schema == fast.default_schema
    assert len(fast.tables) == 5
    assert _normalised(generic) == _normalised(fast)
    assert all(t.row_count is None for t in generic.tables)


def test_generic_path_reads_all_user_schemas(shop: str) -> None:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    generic = introspect_hook(PostgresHook(postgres_conn_id=shop), shop, "")

    assert {t.schema_name for t in generic.tables} == {"events", "public", "sales"}


@pytest.mark.parametrize(
    ("uri", "cause"),
    [
        (
            "postgresql://postgres@127.0.0.1:1/nowhere",
            'server at "127.0.0.1", port 1 failed: Connection refused',
        ),
        (
            "postgresql://postgres@127.0.0.1:5432/ai_etl_no_such_db",
            'database "ai_etl_no_such_db" does not exist',
        ),
        (
            "postgresql://ai_etl_no_such_role:pw@127.0.0.1:5432/postgres",
            'role "ai_etl_no_such_role" does not exist',
        ),
    ],
)
@pytest.mark.parametrize("dialect", ["postgres", ""])  # the fast path and the generic one
def test_database_errors_name_the_connection(
    airflow_conn: Callable[..., None], uri: str, cause: str, dialect: str
) -> None:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    airflow_conn("broken_pg", uri)

    with pytest.raises(CatalogError) as err:
        introspect_hook(PostgresHook(postgres_conn_id="broken_pg"), "broken_pg", dialect)

    message = str(err.value)
    assert message.startswith("cannot read the schema of connection 'broken_pg': ")
    assert cause in message
    assert "\n" not in message
    assert "sqlalche.me" not in message  # the driver's words, not SQLAlchemy's wrapping


def test_value_summaries_never_run_a_views_query(
    pg_database: Callable[[], str], airflow_conn: Callable[..., None]
) -> None:
    """Sampling for value summaries never runs a view's query (one here sleeps a minute per row);
    introspection stays quick and still succeeds."""
    uri = pg_database()
    _execute(
        uri,
        """
        CREATE TABLE tickets (id int PRIMARY KEY, state text);
        INSERT INTO tickets SELECT g, (ARRAY['open', 'closed'])[1 + g % 2] FROM generate_series(1, 20) g;
        CREATE VIEW slow_tickets AS SELECT id, state, pg_sleep(60)::text AS waited FROM tickets;
        """,
    )
    airflow_conn("desk_pg", uri)

    catalog = introspect("desk_pg")

    assert _table(catalog, "tickets").columns[1].values == ["closed", "open"]
    assert all(c.values is None for c in _table(catalog, "slow_tickets").columns)
