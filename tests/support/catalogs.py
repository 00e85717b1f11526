"""A generated catalog of 1,000 tables with the names, keys and clutter of a real company database.

About a hundred entity tables in ten schemas, joined by foreign keys the way such schemas are
(orders -> customers -> countries, invoice_lines -> invoices), then the clutter that real catalogs
accumulate around them: staging copies, archives, histories, snapshots, backups, a legacy schema
with old copies of some tables, and unrelated operational tables. Deterministic (seeded).

Shared by the schema analyst's tests, the eval tests and benchmarks/generation.py; import it as
`tests.support.catalogs`.
"""

from __future__ import annotations

import random

from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table

# schema -> table -> (comment, extra columns, foreign keys as {column: referenced table})
ENTITIES: dict[str, dict[str, tuple[str, list[str], dict[str, str]]]] = {
    "sales": {
        "customers": (
            "People and companies who buy from the web shop",
            ["first_name", "last_name", "email", "phone", "signup_date", "segment"],
            {"country_id": "geo.countries"},
        ),
        "orders": (
            "One row per order placed in the web shop",
            ["status", "order_date", "total_amount", "currency_code"],
            {"customer_id": "sales.customers", "store_id": "sales.stores"},
        ),
        "order_items": (
            "Lines of an order",
            ["quantity", "unit_price", "discount_pct"],
            {"order_id": "sales.orders", "product_id": "sales.products"},
        ),
        "products": (
            "Catalogue of sellable products",
            ["sku", "product_name", "list_price", "is_active"],
            {"category_id": "sales.product_categories", "supplier_id": "inventory.suppliers"},
        ),
        "product_categories": ("Product hierarchy", ["category_name", "parent_id"], {}),
        "payments": (
            "Card and wallet payments",
            ["amount", "method", "paid_at"],
            {"order_id": "sales.orders"},
        ),
        "shipments": ("Parcels sent for orders", ["shipped_at", "tracking_no"], {"order_id": "sales.orders"}),
        "returns": (
            "Returned order items",
            ["reason", "returned_at"],
            {"order_item_id": "sales.order_items"},
        ),
        "discounts": ("Discount codes", ["code", "pct", "valid_until"], {}),
        "carts": ("Shopping carts", ["opened_at"], {"customer_id": "sales.customers"}),
        "cart_items": (
            "Items in carts",
            ["quantity"],
            {"cart_id": "sales.carts", "product_id": "sales.products"},
        ),
        "stores": ("Physical and online stores", ["store_name", "opened_on"], {"city_id": "geo.cities"}),
        "sales_reps": ("Sales representatives", ["rep_name", "quota"], {"employee_id": "hr.employees"}),
    },
    "crm": {
        "accounts": ("Business accounts in the CRM", ["account_name", "industry"], {}),
        "contacts": ("People at accounts", ["full_name", "email"], {"account_id": "crm.accounts"}),
        "leads": ("Prospects not yet qualified", ["source", "score"], {"campaign_id": "crm.campaigns"}),
        "opportunities": (
            "Deals in the pipeline",
            ["stage", "amount", "close_date"],
            {"account_id": "crm.accounts"},
        ),
        "campaigns": ("Marketing campaigns", ["campaign_name", "budget"], {}),
        "campaign_members": (
            "Contacts in campaigns",
            ["responded"],
            {"campaign_id": "crm.campaigns", "contact_id": "crm.contacts"},
        ),
        "activities": (
            "Calls, meetings and emails",
            ["activity_type", "happened_at"],
            {"contact_id": "crm.contacts"},
        ),
        "notes": ("Free-text notes", ["body"], {"account_id": "crm.accounts"}),
    },
    "hr": {
        "employees": (
            "Everyone on the payroll",
            ["first_name", "last_name", "hire_date", "email"],
            {"department_id": "hr.departments", "position_id": "hr.positions"},
        ),
        "departments": ("Organisational units", ["department_name", "cost_center"], {}),
        "positions": ("Job titles and grades", ["title", "grade"], {}),
        "salaries": ("Salary history", ["amount", "valid_from"], {"employee_id": "hr.employees"}),
        "payroll_runs": ("Monthly payroll runs", ["period", "paid_on"], {}),
        "time_off_requests": ("Leave requests", ["starts_on", "ends_on"], {"employee_id": "hr.employees"}),
        "performance_reviews": ("Yearly reviews", ["rating", "review_year"], {"employee_id": "hr.employees"}),
        "job_applicants": ("Applicants for open positions", ["applied_on"], {"position_id": "hr.positions"}),
    },
    "finance": {
        "invoices": (
            "Invoices sent to customers",
            ["invoice_no", "issued_on", "due_on", "total"],
            {"customer_id": "sales.customers"},
        ),
        "invoice_lines": (
            "Lines of an invoice",
            ["description", "amount"],
            {"invoice_id": "finance.invoices"},
        ),
        "ledger_entries": (
            "General ledger",
            ["debit", "credit", "booked_on"],
            {"cost_center_id": "finance.cost_centers"},
        ),
        "accounts_payable": (
            "Money owed to suppliers",
            ["amount", "due_on"],
            {"supplier_id": "inventory.suppliers"},
        ),
        "accounts_receivable": (
            "Money owed by customers",
            ["amount", "due_on"],
            {"invoice_id": "finance.invoices"},
        ),
        "budgets": (
            "Budgets per cost center",
            ["fiscal_year", "amount"],
            {"cost_center_id": "finance.cost_centers"},
        ),
        "cost_centers": ("Cost centers", ["cost_center_name"], {}),
        "currencies": ("ISO currencies", ["iso_code", "currency_name"], {}),
        "exchange_rates": (
            "Daily exchange rates",
            ["rate", "rate_date"],
            {"currency_id": "finance.currencies"},
        ),
        "tax_rates": ("VAT rates per country", ["rate"], {"country_id": "geo.countries"}),
    },
    "inventory": {
        "warehouses": ("Warehouses and depots", ["warehouse_name", "capacity"], {"city_id": "geo.cities"}),
        "stock_levels": (
            "On-hand quantity per product and warehouse",
            ["on_hand", "measured_at"],
            {"warehouse_id": "inventory.warehouses", "product_id": "sales.products"},
        ),
        "stock_movements": (
            "Goods in and out",
            ["delta", "moved_at"],
            {"warehouse_id": "inventory.warehouses", "product_id": "sales.products"},
        ),
        "suppliers": ("Companies we buy from", ["supplier_name", "rating"], {"country_id": "geo.countries"}),
        "purchase_orders": (
            "Orders placed with suppliers",
            ["ordered_on", "total"],
            {"supplier_id": "inventory.suppliers"},
        ),
        "purchase_order_lines": (
            "Lines of purchase orders",
            ["quantity", "unit_cost"],
            {"purchase_order_id": "inventory.purchase_orders", "product_id": "sales.products"},
        ),
        "bins": ("Storage bins", ["bin_code"], {"warehouse_id": "inventory.warehouses"}),
    },
    "logistics": {
        "carriers": ("Parcel carriers", ["carrier_name"], {}),
        "routes": ("Delivery routes", ["route_code"], {"carrier_id": "logistics.carriers"}),
        "vehicles": ("Trucks and vans", ["plate", "capacity_kg"], {"carrier_id": "logistics.carriers"}),
        "drivers": ("Drivers", ["driver_name", "license_no"], {"vehicle_id": "logistics.vehicles"}),
        "tracking_events": (
            "Scans of parcels",
            ["event_code", "scanned_at"],
            {"shipment_id": "sales.shipments"},
        ),
    },
    "marketing": {
        "newsletter_subscribers": ("Newsletter sign-ups", ["email", "subscribed_at"], {}),
        "email_campaigns": ("Newsletter sends", ["subject", "sent_at"], {}),
        "ad_spend": ("Advertising spend per channel and day", ["channel", "spend", "spend_date"], {}),
        "web_sessions": ("Website sessions", ["started_at", "device"], {"customer_id": "sales.customers"}),
        "page_views": ("Page views", ["url", "viewed_at"], {"session_id": "marketing.web_sessions"}),
        "conversions": (
            "Sessions that ended in an order",
            ["converted_at"],
            {"session_id": "marketing.web_sessions", "order_id": "sales.orders"},
        ),
    },
    "support": {
        "tickets": (
            "Customer support tickets",
            ["subject", "priority", "opened_at", "closed_at"],
            {"customer_id": "sales.customers"},
        ),
        "ticket_comments": ("Comments on tickets", ["body", "written_at"], {"ticket_id": "support.tickets"}),
        "support_agents": ("Support staff", ["agent_name"], {"employee_id": "hr.employees"}),
        "sla_policies": ("Service level targets", ["priority", "hours"], {}),
        "satisfaction_surveys": (
            "CSAT surveys after a ticket closes",
            ["score", "answered_at"],
            {"ticket_id": "support.tickets"},
        ),
    },
    "geo": {
        "countries": ("ISO countries", ["iso_code", "country_name"], {"region_id": "geo.regions"}),
        "regions": ("World regions", ["region_name"], {}),
        "cities": ("Cities", ["city_name", "population"], {"country_id": "geo.countries"}),
        "postal_codes": ("Postal codes", ["postal_code"], {"city_id": "geo.cities"}),
    },
    "analytics": {
        "daily_sales_summary": ("Orders and revenue per day", ["day", "orders", "revenue"], {}),
        "customer_lifetime_value": ("CLV per customer", ["clv"], {"customer_id": "sales.customers"}),
        "monthly_revenue": ("Revenue per month", ["month", "revenue"], {}),
        "churn_predictions": ("Churn scores", ["churn_probability"], {"customer_id": "sales.customers"}),
    },
}

_VARIANTS = [
    ("stg_{t}", "staging copy"),
    ("{t}_archive", "archived rows"),
    ("{t}_history", "change history"),
    ("{t}_snapshot", "nightly snapshot"),
    ("raw_{t}", "raw extract"),
    ("{t}_backup_2023", None),
    ("tmp_{t}", None),
    ("{t}_audit", "audit trail"),
]
_NOISE_WORDS = [
    "app",
    "config",
    "feature",
    "flag",
    "job",
    "run",
    "schema",
    "migration",
    "event",
    "queue",
    "cache",
    "session",
    "token",
    "lock",
    "setting",
    "metric",
    "alert",
    "export",
    "import",
    "batch",
    "sync",
    "log",
    "error",
    "notification",
    "template",
    "webhook",
    "worker",
    "task",
    "report",
    "dashboard",
    "widget",
    "kpi",
    "experiment",
    "variant",
    "cohort",
    "segment",
    "score",
    "model",
    "feature",
    "label",
]


def _columns(extra: list[str], fks: dict[str, str]) -> list[Column]:
    names = ["id", *fks, *extra, "created_at", "updated_at"]
    return [Column(name=n, type="bigint" if n == "id" or n.endswith("_id") else "text") for n in names]


def generated_catalog(n_tables: int = 1_000, seed: int = 7) -> SchemaCatalog:
    rng = random.Random(seed)
    tables: list[Table] = []
    for schema, entities in ENTITIES.items():
        for name, (comment, extra, fks) in entities.items():
            tables.append(
                Table(
                    name=name,
                    schema_name=schema,
                    columns=_columns(extra, fks),
                    primary_key=["id"],
                    foreign_keys=[
                        ForeignKey(columns=[col], ref_table=ref, ref_columns=["id"])
                        for col, ref in fks.items()
                    ],
                    comment=comment,
                    row_count=rng.randint(100, 10_000_000),
                )
            )
    core = list(tables)
    for old in ("orders", "customers", "products", "invoices", "employees"):
        base = next(t for t in core if t.name == old)
        tables.append(base.model_copy(update={"schema_name": "legacy", "foreign_keys": [], "comment": None}))
    variants = [(pattern, note, base) for base in core for pattern, note in _VARIANTS]
    rng.shuffle(variants)
    for pattern, note, base in variants:
        if len(tables) >= n_tables * 0.6:
            break
        fks = [ForeignKey(columns=["id"], ref_table=base.qualified_name, ref_columns=["id"])]
        tables.append(
            Table(
                name=pattern.format(t=base.name),
                schema_name=base.schema_name,
                columns=base.columns,
                foreign_keys=fks if "history" in pattern or "audit" in pattern else [],
                comment=f"{note} of {base.name}" if note else None,
            )
        )
    schemas = ["ops", "platform", "etl", "ml", "bi"]
    seen = {t.qualified_name for t in tables}
    while len(tables) < n_tables:
        words = rng.sample(_NOISE_WORDS, rng.choice((2, 2, 3)))
        table = Table(
            name="_".join(words) + rng.choice(("", "s", f"_{rng.randint(2019, 2025)}", "_v2")),
            schema_name=rng.choice(schemas),
            columns=_columns(rng.sample(["name", "value", "status", "payload", "kind"], 3), {}),
        )
        if table.qualified_name not in seen:
            seen.add(table.qualified_name)
            tables.append(table)
    rng.shuffle(tables)
    return SchemaCatalog(conn_id="shop_pg", dialect="postgres", default_schema="public", tables=tables)
