# ruff: noqa: E501  (long SQL and request strings read better unbroken)
"""Write eval_suite.yaml: the development suite's requests, each with the rows its target must hold.

    python examples/grounding/build_suite.py     # rewrites examples/grounding/eval_suite.yaml

A case's rows check is a pair of queries: one on the target after the DAG ran, one (the reference)
on the source database as databases.py builds it. The reference's result becomes the check's
`equals`, so expected rows are computed, never typed in. Cases are written per domain below;
categories group them in the report (copy, filter, aggregate, existing_target, linking, quality,
mode, refusal).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from databases import NAMES, create  # noqa: E402

# (name, category, request, expect (without rows), [(target query, reference query on the source)])
Case = tuple[str, str, str, dict[str, Any], list[tuple[str, str]]]


CASES: dict[str, list[Case]] = {
    "clinic": [
        (
            "clinic_copy_patients",
            "copy",
            "copy patients into the clinic warehouse",
            {"targets": ["patients"], "modes": ["replace"]},
            [("SELECT COUNT(*), COUNT(city) FROM patients", "SELECT COUNT(*), COUNT(city) FROM patients")],
        ),
        (
            "clinic_copy_doctors_nightly",
            "copy",
            "copy the doctors to the clinic warehouse every night at 1am",
            {"targets": ["doctors"], "schedule": "0 1 * * *"},
            [("SELECT COUNT(*) FROM doctors", "SELECT COUNT(*) FROM doctors")],
        ),
        (
            "clinic_snapshot_appointments",
            "copy",
            "full copy of appointments into clinic_wh as appointment_snapshot",
            {"targets": ["appointment_snapshot"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(fee), 2) FROM appointment_snapshot",
                    "SELECT COUNT(*), ROUND(SUM(fee), 2) FROM appointments",
                )
            ],
        ),
        (
            "clinic_done_appointments",
            "filter",
            "load appointments where status is 'done' into the clinic warehouse as done_appointments",
            {"targets": ["done_appointments"]},
            [
                (
                    "SELECT COUNT(*) FROM done_appointments",
                    "SELECT COUNT(*) FROM appointments WHERE status = 'done'",
                )
            ],
        ),
        (
            "clinic_only_lyon_patients",
            "filter",
            "copy only patients whose city is 'Lyon' into the clinic warehouse as lyon_patients",
            {"targets": ["lyon_patients"]},
            [("SELECT COUNT(*) FROM lyon_patients", "SELECT COUNT(*) FROM patients WHERE city = 'Lyon'")],
        ),
        (
            "clinic_fee_range",
            "filter",
            "copy appointments with fee between 50 and 100 into clinic_wh as mid_fee_appointments",
            {"targets": ["mid_fee_appointments"]},
            [
                (
                    "SELECT COUNT(*) FROM mid_fee_appointments",
                    "SELECT COUNT(*) FROM appointments WHERE fee >= 50 AND fee <= 100",
                )
            ],
        ),
        (
            "clinic_status_list",
            "filter",
            "copy appointments whose status is one of cancelled, no_show into clinic_wh as missed_appointments",
            {"targets": ["missed_appointments"]},
            [
                (
                    "SELECT COUNT(*) FROM missed_appointments",
                    "SELECT COUNT(*) FROM appointments WHERE status IN ('cancelled', 'no_show')",
                )
            ],
        ),
        (
            "clinic_unknown_city",
            "filter",
            "copy patients where city is missing into clinic_wh as patients_without_city",
            {"targets": ["patients_without_city"]},
            [
                (
                    "SELECT COUNT(*) FROM patients_without_city",
                    "SELECT COUNT(*) FROM patients WHERE city IS NULL",
                )
            ],
        ),
        (
            "clinic_active_patients",
            "filter",
            "copy active patients into clinic_wh as active_patients",
            {"targets": ["active_patients"]},
            [("SELECT COUNT(*) FROM active_patients", "SELECT COUNT(*) FROM patients WHERE is_active")],
        ),
        (
            "clinic_expensive",
            "filter",
            "copy appointments where fee is above 150 into clinic_wh as expensive_appointments",
            {"targets": ["expensive_appointments"]},
            [
                (
                    "SELECT COUNT(*) FROM expensive_appointments",
                    "SELECT COUNT(*) FROM appointments WHERE fee > 150",
                )
            ],
        ),
        (
            "clinic_not_cancelled",
            "filter",
            "copy appointments excluding status = 'cancelled' into clinic_wh as kept_appointments",
            {"targets": ["kept_appointments"]},
            [
                (
                    "SELECT COUNT(*) FROM kept_appointments",
                    "SELECT COUNT(*) FROM appointments WHERE status <> 'cancelled'",
                )
            ],
        ),
        (
            "clinic_count_per_doctor",
            "aggregate",
            "count of appointments per doctor into clinic_wh as doctor_load",
            {"targets": ["doctor_load"]},
            [
                (
                    "SELECT COUNT(*), SUM(appointment_count) FROM doctor_load",
                    "SELECT COUNT(DISTINCT doctor_id), COUNT(*) FROM appointments",
                )
            ],
        ),
        (
            "clinic_fees_per_patient",
            "aggregate",
            "total fee per patient from appointments into clinic_wh",
            {"tables": ["appointments"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(total_fee), 2) FROM total_fee_per_patient",
                    "SELECT COUNT(DISTINCT patient_id), ROUND(SUM(fee), 2) FROM appointments",
                )
            ],
        ),
        (
            "clinic_daily_visits",
            "aggregate",
            "daily count of appointments into clinic_wh as daily_visits",
            {"targets": ["daily_visits"]},
            [
                (
                    "SELECT COUNT(*), SUM(appointment_count) FROM daily_visits",
                    "SELECT COUNT(DISTINCT DATE(scheduled_at)), COUNT(*) FROM appointments",
                )
            ],
        ),
        (
            "clinic_avg_fee_per_doctor",
            "aggregate",
            "average fee per doctor from appointments into clinic_wh as avg_fee_by_doctor",
            {"targets": ["avg_fee_by_doctor"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(avg_fee), 2) FROM avg_fee_by_doctor",
                    "SELECT COUNT(*), ROUND(SUM(a), 2) FROM (SELECT AVG(fee) AS a FROM appointments GROUP BY doctor_id)",
                )
            ],
        ),
        (
            "clinic_distinct_patients",
            "aggregate",
            "number of distinct patient per doctor from appointments into clinic_wh as patients_per_doctor",
            {"targets": ["patients_per_doctor"]},
            [
                (
                    "SELECT SUM(distinct_patient_id_count) FROM patients_per_doctor",
                    "SELECT SUM(n) FROM (SELECT COUNT(DISTINCT patient_id) AS n FROM appointments GROUP BY doctor_id)",
                )
            ],
        ),
        (
            "clinic_into_existing_copy",
            "existing_target",
            "copy patients into patient_copy",
            {"targets": ["patient_copy"], "step_kinds": ["transfer"]},
            [
                (
                    "SELECT COUNT(*), COUNT(city) FROM patient_copy",
                    "SELECT COUNT(*), COUNT(city) FROM patients",
                )
            ],
        ),
        (
            "clinic_into_existing_summary",
            "existing_target",
            "count of appointments per doctor into visits_per_doctor",
            {"targets": ["visits_per_doctor"], "step_kinds": ["transfer"]},
            [
                (
                    "SELECT COUNT(*), SUM(visit_total) FROM visits_per_doctor",
                    "SELECT COUNT(DISTINCT doctor_id), COUNT(*) FROM appointments",
                )
            ],
        ),
        (
            "clinic_synonym_physicians",
            "linking",
            "copy the physicians into clinic_wh as physician_list",
            {"tables": ["doctors"], "targets": ["physician_list"]},
            [("SELECT COUNT(*) FROM physician_list", "SELECT COUNT(*) FROM doctors")],
        ),
        (
            "clinic_revenue_per_doctor",
            "linking",
            "total revenue per doctor from appointments into clinic_wh",
            {"tables": ["appointments"]},
            [
                (
                    "SELECT ROUND(SUM(total_fee), 2) FROM total_fee_per_doctor",
                    "SELECT ROUND(SUM(fee), 2) FROM appointments",
                )
            ],
        ),
        (
            "clinic_visits_synonym",
            "linking",
            "copy all visits into clinic_wh as visit_history",
            {"tables": ["appointments"], "targets": ["visit_history"]},
            [("SELECT COUNT(*) FROM visit_history", "SELECT COUNT(*) FROM appointments")],
        ),
        (
            "clinic_checks",
            "quality",
            "copy patients into clinic_wh as checked_patients, fail if patient_id is not unique or the row count "
            "drops by more than half",
            {"checks": ["unique", "row_count_change"], "step_kinds": ["sql", "transfer", "quality_check"]},
            [("SELECT COUNT(*) FROM checked_patients", "SELECT COUNT(*) FROM patients")],
        ),
        (
            "clinic_incremental",
            "mode",
            "load new and changed appointments into the clinic warehouse every hour",
            {"modes": ["incremental"], "schedule": "0 * * * *"},
            [("SELECT COUNT(*) FROM appointments", "SELECT COUNT(*) FROM appointments")],
        ),
        ("clinic_refuse_url", "refusal", "copy patients to https://example.org/ingest", {"ok": False}, []),
        ("clinic_refuse_unknown", "refusal", "copy the volcano eruptions into clinic_wh", {"ok": False}, []),
    ],
    "library": [
        (
            "library_copy_members",
            "copy",
            "copy members into the library warehouse",
            {"targets": ["members"]},
            [("SELECT COUNT(*), COUNT(email) FROM members", "SELECT COUNT(*), COUNT(email) FROM members")],
        ),
        (
            "library_copy_books_weekly",
            "copy",
            "copy books into library_wh every monday at 6am",
            {"targets": ["books"], "schedule": "0 6 * * 1"},
            [("SELECT COUNT(*), SUM(pageCount) FROM books", "SELECT COUNT(*), SUM(pageCount) FROM books")],
        ),
        (
            "library_loans_backup",
            "copy",
            "copy loans into library_wh as loans_backup",
            {"targets": ["loans_backup"]},
            [
                (
                    "SELECT COUNT(*), COUNT(returnedAt) FROM loans_backup",
                    "SELECT COUNT(*), COUNT(returnedAt) FROM loans",
                )
            ],
        ),
        (
            "library_poetry",
            "filter",
            "copy books where genre = 'poetry' into library_wh as poetry_books",
            {"targets": ["poetry_books"]},
            [("SELECT COUNT(*) FROM poetry_books", "SELECT COUNT(*) FROM books WHERE genre = 'poetry'")],
        ),
        (
            "library_open_loans",
            "filter",
            "copy loans where returnedAt is missing into library_wh as open_loans",
            {"targets": ["open_loans"]},
            [("SELECT COUNT(*) FROM open_loans", "SELECT COUNT(*) FROM loans WHERE returnedAt IS NULL")],
        ),
        (
            "library_long_books",
            "filter",
            "copy only books whose pageCount is at least 500 into library_wh as long_books",
            {"targets": ["long_books"]},
            [("SELECT COUNT(*) FROM long_books", "SELECT COUNT(*) FROM books WHERE pageCount >= 500")],
        ),
        (
            "library_active_members",
            "filter",
            "copy active members into library_wh as active_members",
            {"targets": ["active_members"]},
            [("SELECT COUNT(*) FROM active_members", "SELECT COUNT(*) FROM members WHERE isActive")],
        ),
        (
            "library_genres",
            "filter",
            "copy books with genre in ('history', 'science') into library_wh as nonfiction_books",
            {"targets": ["nonfiction_books"]},
            [
                (
                    "SELECT COUNT(*) FROM nonfiction_books",
                    "SELECT COUNT(*) FROM books WHERE genre IN ('history', 'science')",
                )
            ],
        ),
        (
            "library_late_loans",
            "filter",
            "copy loans where lateFee > 0 into library_wh as late_loans",
            {"targets": ["late_loans"]},
            [("SELECT COUNT(*) FROM late_loans", "SELECT COUNT(*) FROM loans WHERE lateFee > 0")],
        ),
        (
            "library_loans_per_member",
            "aggregate",
            "count of loans per member into library_wh as member_loans",
            {"targets": ["member_loans"]},
            [
                (
                    "SELECT COUNT(*), SUM(loan_count) FROM member_loans",
                    "SELECT COUNT(DISTINCT memberId), COUNT(*) FROM loans",
                )
            ],
        ),
        (
            "library_fees_per_book",
            "aggregate",
            "total lateFee per book from loans into library_wh as fees_by_book",
            {"targets": ["fees_by_book"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(total_lateFee), 2) FROM fees_by_book",
                    "SELECT COUNT(DISTINCT bookId), ROUND(SUM(lateFee), 2) FROM loans",
                )
            ],
        ),
        (
            "library_max_price_per_genre",
            "aggregate",
            "maximum priceEur per genre from books into library_wh as top_price_by_genre",
            {"targets": ["top_price_by_genre"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(max_priceEur), 2) FROM top_price_by_genre",
                    "SELECT COUNT(*), ROUND(SUM(m), 2) FROM (SELECT MAX(priceEur) AS m FROM books GROUP BY genre)",
                )
            ],
        ),
        (
            "library_monthly_loans",
            "aggregate",
            "monthly count of loans into library_wh as loans_by_month",
            {"targets": ["loans_by_month"]},
            [("SELECT SUM(loan_count) FROM loans_by_month", "SELECT COUNT(*) FROM loans")],
        ),
        (
            "library_books_per_genre",
            "aggregate",
            "number of books per genre into library_wh as genre_sizes",
            {"targets": ["genre_sizes"]},
            [
                (
                    "SELECT COUNT(*), SUM(book_count) FROM genre_sizes",
                    "SELECT COUNT(DISTINCT genre), COUNT(*) FROM books",
                )
            ],
        ),
        (
            "library_into_directory",
            "existing_target",
            "copy members into memberDirectory",
            {"targets": ["memberDirectory"], "step_kinds": ["transfer"]},
            [
                (
                    "SELECT COUNT(*), COUNT(email) FROM memberDirectory",
                    "SELECT COUNT(*), COUNT(email) FROM members",
                )
            ],
        ),
        (
            "library_replace_directory",
            "existing_target",
            "replace memberDirectory with a fresh copy of members",
            {"targets": ["memberDirectory"], "modes": ["replace"]},
            [("SELECT COUNT(*) FROM memberDirectory", "SELECT COUNT(*) FROM members")],
        ),
        (
            "library_synonym_borrowers",
            "linking",
            "copy the borrowers into library_wh as borrower_list",
            {"tables": ["members"]},
            [("SELECT COUNT(*) FROM borrower_list", "SELECT COUNT(*) FROM members")],
        ),
        (
            "library_synonym_titles",
            "linking",
            "copy the titles into library_wh as title_list",
            {"tables": ["books"]},
            [("SELECT COUNT(*) FROM title_list", "SELECT COUNT(*) FROM books")],
        ),
        (
            "library_penalties",
            "linking",
            "total penalties per member from loans into library_wh as penalties",
            {"targets": ["penalties"]},
            [
                (
                    "SELECT ROUND(SUM(total_lateFee), 2) FROM penalties",
                    "SELECT ROUND(SUM(lateFee), 2) FROM loans",
                )
            ],
        ),
        (
            "library_checks",
            "quality",
            "copy members into library_wh as checked_members; memberId must be unique, fullName must not be null "
            "and there must be at least 10 rows",
            {"checks": ["unique", "not_null", "row_count"]},
            [("SELECT COUNT(*) FROM checked_members", "SELECT COUNT(*) FROM members")],
        ),
        (
            "library_sync",
            "mode",
            "sync members into library_wh every 30 minutes",
            {"modes": ["upsert"], "schedule": "*/30 * * * *"},
            [("SELECT COUNT(*) FROM members", "SELECT COUNT(*) FROM members")],
        ),
        (
            "library_incremental_loans",
            "mode",
            "load new loans into library_wh every day",
            {"modes": ["incremental"]},
            [("SELECT COUNT(*) FROM loans", "SELECT COUNT(*) FROM loans")],
        ),
        ("library_refuse_email", "refusal", "send the members to someone@example.org", {"ok": False}, []),
        ("library_refuse_drop", "refusal", "drop the loans table", {"ok": False}, []),
        (
            "library_refuse_unclear_filter",
            "refusal",
            "copy only the overdue loans into library_wh",
            {"ok": False},
            [],
        ),
    ],
    "logistics": [
        (
            "logistics_copy_shipments",
            "copy",
            "copy shpmt into the logistics warehouse",
            {"targets": ["shpmt"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(wt_kg), 2) FROM shpmt",
                    "SELECT COUNT(*), ROUND(SUM(wt_kg), 2) FROM shpmt",
                )
            ],
        ),
        (
            "logistics_copy_customers",
            "copy",
            "copy cust into logistics_wh as customer_master",
            {"targets": ["customer_master"]},
            [("SELECT COUNT(*) FROM customer_master", "SELECT COUNT(*) FROM cust")],
        ),
        (
            "logistics_copy_hubs_daily",
            "copy",
            "copy whse into logistics_wh every day at 5am",
            {"schedule": "0 5 * * *"},
            [("SELECT COUNT(*) FROM whse", "SELECT COUNT(*) FROM whse")],
        ),
        (
            "logistics_delivered",
            "filter",
            "copy shpmt where sts = 'delivered' into logistics_wh as delivered_shipments",
            {"targets": ["delivered_shipments"]},
            [
                (
                    "SELECT COUNT(*) FROM delivered_shipments",
                    "SELECT COUNT(*) FROM shpmt WHERE sts = 'delivered'",
                )
            ],
        ),
        (
            "logistics_heavy",
            "filter",
            "copy shpmt with wt_kg above 50 into logistics_wh as heavy_shipments",
            {"targets": ["heavy_shipments"]},
            [("SELECT COUNT(*) FROM heavy_shipments", "SELECT COUNT(*) FROM shpmt WHERE wt_kg > 50")],
        ),
        (
            "logistics_country_list",
            "filter",
            "copy cust whose cntry_cd is one of FR, IT into logistics_wh as south_customers",
            {"targets": ["south_customers"]},
            [
                (
                    "SELECT COUNT(*) FROM south_customers",
                    "SELECT COUNT(*) FROM cust WHERE cntry_cd IN ('FR', 'IT')",
                )
            ],
        ),
        (
            "logistics_weight_band",
            "filter",
            "copy shpmt where wt_kg between 10 and 20 into logistics_wh as parcel_band",
            {"targets": ["parcel_band"]},
            [
                (
                    "SELECT COUNT(*) FROM parcel_band",
                    "SELECT COUNT(*) FROM shpmt WHERE wt_kg >= 10 AND wt_kg <= 20",
                )
            ],
        ),
        (
            "logistics_not_returned",
            "filter",
            "copy shpmt excluding sts = 'returned' into logistics_wh as kept_shipments",
            {"targets": ["kept_shipments"]},
            [("SELECT COUNT(*) FROM kept_shipments", "SELECT COUNT(*) FROM shpmt WHERE sts <> 'returned'")],
        ),
        (
            "logistics_recent",
            "filter",
            "copy shpmt where ship_dt after '2026-02-01' into logistics_wh as recent_shipments",
            {"targets": ["recent_shipments"]},
            [
                (
                    "SELECT COUNT(*) FROM recent_shipments",
                    "SELECT COUNT(*) FROM shpmt WHERE ship_dt > '2026-02-01'",
                )
            ],
        ),
        (
            "logistics_weight_per_customer",
            "aggregate",
            "total wt_kg per cust_id from shpmt into logistics_wh as weight_by_customer",
            {"targets": ["weight_by_customer"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(total_wt_kg), 2) FROM weight_by_customer",
                    "SELECT COUNT(DISTINCT cust_id), ROUND(SUM(wt_kg), 2) FROM shpmt",
                )
            ],
        ),
        (
            "logistics_count_per_status",
            "aggregate",
            "count of shpmt per sts into logistics_wh as status_counts",
            {"targets": ["status_counts"]},
            [
                (
                    "SELECT COUNT(*), SUM(shpmt_count) FROM status_counts",
                    "SELECT COUNT(DISTINCT sts), COUNT(*) FROM shpmt",
                )
            ],
        ),
        (
            "logistics_weekly",
            "aggregate",
            "weekly count of shpmt into logistics_wh as shipments_per_week",
            {"targets": ["shipments_per_week"]},
            [("SELECT SUM(shpmt_count) FROM shipments_per_week", "SELECT COUNT(*) FROM shpmt")],
        ),
        (
            "logistics_avg_weight_per_hub",
            "aggregate",
            "average wt_kg per whse_id from shpmt into logistics_wh as hub_weights",
            {"targets": ["hub_weights"]},
            [("SELECT COUNT(*) FROM hub_weights", "SELECT COUNT(DISTINCT whse_id) FROM shpmt")],
        ),
        (
            "logistics_customers_per_country",
            "aggregate",
            "number of cust per cntry_cd into logistics_wh as customers_by_country",
            {"targets": ["customers_by_country"]},
            [
                (
                    "SELECT COUNT(*), SUM(cust_count) FROM customers_by_country",
                    "SELECT COUNT(DISTINCT cntry_cd), COUNT(*) FROM cust",
                )
            ],
        ),
        (
            "logistics_into_archive",
            "existing_target",
            "copy shpmt into shipment_archive",
            {"targets": ["shipment_archive"], "step_kinds": ["transfer"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(wt_kg), 2) FROM shipment_archive",
                    "SELECT COUNT(*), ROUND(SUM(wt_kg), 2) FROM shpmt",
                )
            ],
        ),
        (
            "logistics_refresh_archive",
            "existing_target",
            "refresh shipment_archive from shpmt where sts = 'delivered'",
            {"targets": ["shipment_archive"]},
            [("SELECT COUNT(*) FROM shipment_archive", "SELECT COUNT(*) FROM shpmt WHERE sts = 'delivered'")],
        ),
        (
            "logistics_synonym_shipments",
            "linking",
            "copy the shipments into logistics_wh as shipment_copy",
            {"tables": ["shpmt"]},
            [("SELECT COUNT(*) FROM shipment_copy", "SELECT COUNT(*) FROM shpmt")],
        ),
        (
            "logistics_synonym_customers",
            "linking",
            "copy the customers into logistics_wh as client_copy",
            {"tables": ["cust"]},
            [("SELECT COUNT(*) FROM client_copy", "SELECT COUNT(*) FROM cust")],
        ),
        (
            "logistics_weight_word",
            "linking",
            "total weight per customer from shpmt into logistics_wh as tonnage",
            {"targets": ["tonnage"]},
            [("SELECT ROUND(SUM(total_wt_kg), 2) FROM tonnage", "SELECT ROUND(SUM(wt_kg), 2) FROM shpmt")],
        ),
        (
            "logistics_warehouses_synonym",
            "linking",
            "copy the warehouses into logistics_wh as hub_list",
            {"tables": ["whse"]},
            [("SELECT COUNT(*) FROM hub_list", "SELECT COUNT(*) FROM whse")],
        ),
        (
            "logistics_checks",
            "quality",
            "copy shpmt into logistics_wh as checked_shipments and alert me when shpmt_id is not unique; "
            "wt_kg must be positive",
            {"checks": ["unique", "min"]},
            [("SELECT COUNT(*) FROM checked_shipments", "SELECT COUNT(*) FROM shpmt")],
        ),
        (
            "logistics_incremental",
            "mode",
            "load new and changed shpmt into logistics_wh every 15 minutes",
            {"modes": ["incremental"], "schedule": "*/15 * * * *"},
            [("SELECT COUNT(*) FROM shpmt", "SELECT COUNT(*) FROM shpmt")],
        ),
        (
            "logistics_upsert_customers",
            "mode",
            "upsert cust into logistics_wh by cust_id",
            {"modes": ["upsert"]},
            [("SELECT COUNT(*) FROM cust", "SELECT COUNT(*) FROM cust")],
        ),
        ("logistics_refuse_path", "refusal", "copy shpmt to /srv/exports/shipments.csv", {"ok": False}, []),
        (
            "logistics_refuse_truncate",
            "refusal",
            "truncate shpmt and copy cust into logistics_wh",
            {"ok": False},
            [],
        ),
    ],
    "saas": [
        (
            "saas_copy_accounts",
            "copy",
            "copy accounts into the saas warehouse as accounts_copy",
            {"tables": ["tbl_accounts"], "targets": ["accounts_copy"]},
            [("SELECT COUNT(*) FROM accounts_copy", "SELECT COUNT(*) FROM tbl_accounts")],
        ),
        (
            "saas_copy_subscriptions",
            "copy",
            "copy tbl_subscriptions into saas_wh every day at midnight",
            {"schedule": "0 0 * * *"},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(mrr), 2) FROM tbl_subscriptions",
                    "SELECT COUNT(*), ROUND(SUM(mrr), 2) FROM tbl_subscriptions",
                )
            ],
        ),
        (
            "saas_copy_events",
            "copy",
            "copy tbl_events into saas_wh as event_log",
            {"targets": ["event_log"]},
            [("SELECT COUNT(*) FROM event_log", "SELECT COUNT(*) FROM tbl_events")],
        ),
        (
            "saas_active_subs",
            "filter",
            "copy tbl_subscriptions where status is 'active' into saas_wh as active_subscriptions",
            {"targets": ["active_subscriptions"]},
            [
                (
                    "SELECT COUNT(*) FROM active_subscriptions",
                    "SELECT COUNT(*) FROM tbl_subscriptions WHERE status = 'active'",
                )
            ],
        ),
        (
            "saas_trials",
            "filter",
            "copy trial accounts into saas_wh as trial_accounts",
            {"targets": ["trial_accounts"]},
            [("SELECT COUNT(*) FROM trial_accounts", "SELECT COUNT(*) FROM tbl_accounts WHERE is_trial")],
        ),
        (
            "saas_emea",
            "filter",
            "copy only tbl_accounts whose region is 'emea' into saas_wh as emea_accounts",
            {"targets": ["emea_accounts"]},
            [
                (
                    "SELECT COUNT(*) FROM emea_accounts",
                    "SELECT COUNT(*) FROM tbl_accounts WHERE region = 'emea'",
                )
            ],
        ),
        (
            "saas_still_running",
            "filter",
            "copy tbl_subscriptions where ended_at is missing into saas_wh as running_subscriptions",
            {"targets": ["running_subscriptions"]},
            [
                (
                    "SELECT COUNT(*) FROM running_subscriptions",
                    "SELECT COUNT(*) FROM tbl_subscriptions WHERE ended_at IS NULL",
                )
            ],
        ),
        (
            "saas_big_subs",
            "filter",
            "copy tbl_subscriptions with mrr at least 250 into saas_wh as big_subscriptions",
            {"targets": ["big_subscriptions"]},
            [
                (
                    "SELECT COUNT(*) FROM big_subscriptions",
                    "SELECT COUNT(*) FROM tbl_subscriptions WHERE mrr >= 250",
                )
            ],
        ),
        (
            "saas_paid_plans",
            "filter",
            "copy tbl_accounts where plan in ('team', 'business') into saas_wh as paying_accounts",
            {"targets": ["paying_accounts"]},
            [
                (
                    "SELECT COUNT(*) FROM paying_accounts",
                    "SELECT COUNT(*) FROM tbl_accounts WHERE plan IN ('team', 'business')",
                )
            ],
        ),
        (
            "saas_mrr_per_account",
            "aggregate",
            "total mrr per account from tbl_subscriptions into saas_wh as mrr_by_account",
            {"targets": ["mrr_by_account"]},
            [
                (
                    "SELECT COUNT(*), ROUND(SUM(total_mrr), 2) FROM mrr_by_account",
                    "SELECT COUNT(DISTINCT account_id), ROUND(SUM(mrr), 2) FROM tbl_subscriptions",
                )
            ],
        ),
        (
            "saas_events_per_type",
            "aggregate",
            "count of tbl_events per event_type into saas_wh as event_mix",
            {"targets": ["event_mix"]},
            [
                (
                    "SELECT COUNT(*), SUM(tbl_event_count) FROM event_mix",
                    "SELECT COUNT(DISTINCT event_type), COUNT(*) FROM tbl_events",
                )
            ],
        ),
        (
            "saas_daily_events",
            "aggregate",
            "daily count of tbl_events per account into saas_wh as daily_activity",
            {"targets": ["daily_activity"]},
            [("SELECT SUM(tbl_event_count) FROM daily_activity", "SELECT COUNT(*) FROM tbl_events")],
        ),
        (
            "saas_avg_mrr_per_currency",
            "aggregate",
            "average mrr per currency from tbl_subscriptions into saas_wh as mrr_by_currency",
            {"targets": ["mrr_by_currency"]},
            [
                (
                    "SELECT COUNT(*) FROM mrr_by_currency",
                    "SELECT COUNT(DISTINCT currency) FROM tbl_subscriptions",
                )
            ],
        ),
        (
            "saas_accounts_per_plan",
            "aggregate",
            "number of tbl_accounts per plan into saas_wh as plan_sizes",
            {"targets": ["plan_sizes"]},
            [
                (
                    "SELECT COUNT(*), SUM(tbl_account_count) FROM plan_sizes",
                    "SELECT COUNT(DISTINCT plan), COUNT(*) FROM tbl_accounts",
                )
            ],
        ),
        (
            "saas_into_dim",
            "existing_target",
            "copy tbl_accounts into account_dim",
            {"targets": ["account_dim"], "step_kinds": ["transfer"]},
            [
                (
                    "SELECT COUNT(*), COUNT(DISTINCT region) FROM account_dim",
                    "SELECT COUNT(*), COUNT(DISTINCT region) FROM tbl_accounts",
                )
            ],
        ),
        (
            "saas_replace_dim",
            "existing_target",
            "overwrite account_dim with tbl_accounts where is_trial = false",
            {"targets": ["account_dim"]},
            [("SELECT COUNT(*) FROM account_dim", "SELECT COUNT(*) FROM tbl_accounts WHERE NOT is_trial")],
        ),
        (
            "saas_revenue_word",
            "linking",
            "total revenue per account from tbl_subscriptions into saas_wh as revenue",
            {"targets": ["revenue"]},
            [
                (
                    "SELECT ROUND(SUM(total_mrr), 2) FROM revenue",
                    "SELECT ROUND(SUM(mrr), 2) FROM tbl_subscriptions",
                )
            ],
        ),
        (
            "saas_customers_synonym",
            "linking",
            "copy the customers into saas_wh as customer_accounts",
            {"tables": ["tbl_accounts"]},
            [("SELECT COUNT(*) FROM customer_accounts", "SELECT COUNT(*) FROM tbl_accounts")],
        ),
        (
            "saas_activity_synonym",
            "linking",
            "copy the activity events into saas_wh as activity",
            {"tables": ["tbl_events"]},
            [("SELECT COUNT(*) FROM activity", "SELECT COUNT(*) FROM tbl_events")],
        ),
        (
            "saas_checks",
            "quality",
            "copy tbl_subscriptions into saas_wh as checked_subscriptions; fail if subscription_id is not unique "
            "or the row count drops by more than 30%",
            {"checks": ["unique", "row_count_change"]},
            [("SELECT COUNT(*) FROM checked_subscriptions", "SELECT COUNT(*) FROM tbl_subscriptions")],
        ),
        (
            "saas_required_names",
            "quality",
            "copy tbl_accounts into saas_wh as named_accounts and fail if account_name is missing",
            {"checks": ["not_null"]},
            [("SELECT COUNT(*) FROM named_accounts", "SELECT COUNT(*) FROM tbl_accounts")],
        ),
        (
            "saas_incremental",
            "mode",
            "load new and changed tbl_accounts into saas_wh every hour",
            {"modes": ["incremental"]},
            [("SELECT COUNT(*) FROM tbl_accounts", "SELECT COUNT(*) FROM tbl_accounts")],
        ),
        (
            "saas_upsert_subscriptions",
            "mode",
            "sync tbl_subscriptions into saas_wh by subscription_id",
            {"modes": ["upsert"]},
            [("SELECT COUNT(*) FROM tbl_subscriptions", "SELECT COUNT(*) FROM tbl_subscriptions")],
        ),
        (
            "saas_refuse_url",
            "refusal",
            "push tbl_events into https://hooks.example.com/events",
            {"ok": False},
            [],
        ),
        ("saas_refuse_check", "refusal", "copy tbl_accounts into saas_wh and verify them", {"ok": False}, []),
    ],
}


def build(out: Path) -> None:
    cases = []
    with tempfile.TemporaryDirectory() as work:
        for domain, domain_cases in CASES.items():
            source = Path(work) / f"{domain}.db"
            create(domain, source)
            db = sqlite3.connect(source)
            for name, category, request, expect, rows in domain_cases:
                checks = [
                    {
                        "conn_id": f"{domain}_wh",
                        "sql": target_sql,
                        "equals": [list(r) for r in db.execute(ref)],
                    }
                    for target_sql, ref in rows
                ]
                case_expect = dict(expect)
                if checks:
                    case_expect["rows"] = checks
                cases.append(
                    {"name": name, "category": category, "request": request,
                     "connections": [domain, f"{domain}_wh"], "expect": case_expect}
                )  # fmt: skip
            db.close()
    header = (
        "# The development suite: requests over four domains in four naming styles (not the demo shop).\n"
        "# Generated by build_suite.py (expected rows come from reference queries on the sources);\n"
        "# edit the cases there.  ai-etl eval examples/grounding/eval_suite.yaml --offline\n"
    )
    suite = {
        "sqlite_databases": [{"conn_id": name, "script": "databases.py"} for name in NAMES],
        "cases": cases,
    }
    out.write_text(header + yaml.safe_dump(suite, sort_keys=False, width=110), encoding="utf-8")


if __name__ == "__main__":
    build(HERE / "eval_suite.yaml")
    print(f"{sum(len(c) for c in CASES.values())} cases in {HERE / 'eval_suite.yaml'}")
