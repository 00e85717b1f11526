# ruff: noqa: E501  (long SQL and request strings read better unbroken)
"""The development suite's SQLite databases: four domains in four naming styles, each with a
warehouse that already holds some target tables. Deterministic (fixed seed, fixed clock).

    python databases.py PATH     # (re)creates PATH; its stem (the suite's conn_id) names the database

The eval runner calls it as `python databases.py <work>/<conn_id>.db`, so one script serves all.

clinic: snake_case (patients, doctors, appointments); library: camelCase (members, books, loans);
logistics: abbreviations (cust, shpmt, whse); saas: prefixed tables (tbl_accounts, ...).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

EPOCH = dt.datetime(2026, 1, 1, 8, 0, 0)
CITIES = ("Lyon", "Porto", "Gdansk", "Utrecht", "Malmo", "Turin")
COUNTRIES = ("FR", "PT", "PL", "NL", "SE", "IT")


def _ts(rng: random.Random, days: int = 60) -> str:
    return (EPOCH + dt.timedelta(minutes=rng.randrange(days * 24 * 60))).strftime("%Y-%m-%d %H:%M:%S")


def clinic(db: sqlite3.Connection, rng: random.Random) -> None:
    db.executescript(
        """
        CREATE TABLE patients (patient_id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, birth_date TEXT,
            city TEXT, is_active BOOLEAN NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE doctors (doctor_id INTEGER PRIMARY KEY, doctor_name TEXT NOT NULL, specialty TEXT NOT NULL);
        CREATE TABLE appointments (appointment_id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (patient_id),
            doctor_id INTEGER NOT NULL REFERENCES doctors (doctor_id),
            scheduled_at TEXT NOT NULL, fee NUMERIC(8, 2) NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL);
        """
    )
    for i in range(1, 81):
        city = None if i % 9 == 0 else rng.choice(CITIES)
        birth = f"{rng.randint(1940, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        created = _ts(rng)
        db.execute(
            "INSERT INTO patients VALUES (?, ?, ?, ?, ?, ?, ?)",
            (i, f"Patient {i}", birth, city, i % 4 != 0, created, created),
        )
    specialties = ("cardiology", "dermatology", "pediatrics", "oncology")
    for i in range(1, 9):
        db.execute("INSERT INTO doctors VALUES (?, ?, ?)", (i, f"Dr {i}", specialties[i % 4]))
    for i in range(1, 301):
        when = _ts(rng)
        status = rng.choice(("booked", "done", "done", "cancelled", "no_show"))
        fee = round(rng.uniform(20, 200), 2)
        db.execute(
            "INSERT INTO appointments VALUES (?, ?, ?, ?, ?, ?, ?)",
            (i, rng.randint(1, 80), rng.randint(1, 8), when, fee, status, when),
        )


def clinic_wh(db: sqlite3.Connection, rng: random.Random) -> None:
    db.executescript(
        """
        CREATE TABLE patient_copy (patient_id INTEGER PRIMARY KEY, full_name TEXT, city TEXT);
        CREATE TABLE visits_per_doctor (doctor_id INTEGER NOT NULL, visit_total BIGINT);
        """
    )


def library(db: sqlite3.Connection, rng: random.Random) -> None:
    db.executescript(
        """
        CREATE TABLE members (memberId INTEGER PRIMARY KEY, fullName TEXT NOT NULL, email TEXT,
            joinedOn TEXT NOT NULL, isActive BOOLEAN NOT NULL, updatedAt TEXT NOT NULL);
        CREATE TABLE books (bookId INTEGER PRIMARY KEY, title TEXT NOT NULL, genre TEXT NOT NULL,
            pageCount INTEGER NOT NULL, priceEur NUMERIC(6, 2) NOT NULL);
        CREATE TABLE loans (loanId INTEGER PRIMARY KEY, memberId INTEGER NOT NULL REFERENCES members (memberId),
            bookId INTEGER NOT NULL REFERENCES books (bookId), loanedAt TEXT NOT NULL, returnedAt TEXT,
            lateFee NUMERIC(6, 2) NOT NULL);
        """
    )
    for i in range(1, 61):
        email = None if i % 7 == 0 else f"member{i}@example.org"
        joined = _ts(rng)
        db.execute(
            "INSERT INTO members VALUES (?, ?, ?, ?, ?, ?)",
            (i, f"Member {i}", email, joined, i % 3 != 0, joined),
        )
    genres = ("fiction", "history", "science", "poetry", "travel")
    for i in range(1, 41):
        db.execute(
            "INSERT INTO books VALUES (?, ?, ?, ?, ?)",
            (i, f"Book {i}", genres[i % 5], rng.randint(90, 900), round(rng.uniform(5, 60), 2)),
        )
    for i in range(1, 251):
        loaned = _ts(rng)
        returned = None if i % 5 == 0 else _ts(rng)
        fee = round(rng.choice((0, 0, 0, 0.5, 1.5, 3)), 2)
        db.execute(
            "INSERT INTO loans VALUES (?, ?, ?, ?, ?, ?)",
            (i, rng.randint(1, 60), rng.randint(1, 40), loaned, returned, fee),
        )


def library_wh(db: sqlite3.Connection, rng: random.Random) -> None:
    db.execute("CREATE TABLE memberDirectory (memberId INTEGER PRIMARY KEY, fullName TEXT, email TEXT)")


def logistics(db: sqlite3.Connection, rng: random.Random) -> None:
    db.executescript(
        """
        CREATE TABLE cust (cust_id INTEGER PRIMARY KEY, cust_nm TEXT NOT NULL, cntry_cd TEXT NOT NULL,
            crt_ts TEXT NOT NULL);
        CREATE TABLE whse (whse_id INTEGER PRIMARY KEY, whse_nm TEXT NOT NULL, cty TEXT NOT NULL);
        CREATE TABLE shpmt (shpmt_id INTEGER PRIMARY KEY, cust_id INTEGER NOT NULL REFERENCES cust (cust_id),
            whse_id INTEGER NOT NULL REFERENCES whse (whse_id), wt_kg NUMERIC(8, 2) NOT NULL,
            ship_dt TEXT NOT NULL, sts TEXT NOT NULL, upd_ts TEXT NOT NULL);
        """
    )
    for i in range(1, 51):
        db.execute(
            "INSERT INTO cust VALUES (?, ?, ?, ?)", (i, f"Customer {i}", rng.choice(COUNTRIES), _ts(rng))
        )
    for i in range(1, 7):
        db.execute("INSERT INTO whse VALUES (?, ?, ?)", (i, f"Hub {i}", CITIES[i - 1]))
    for i in range(1, 401):
        shipped = _ts(rng)
        status = rng.choice(("created", "in_transit", "delivered", "delivered", "returned"))
        db.execute(
            "INSERT INTO shpmt VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                i,
                rng.randint(1, 50),
                rng.randint(1, 6),
                round(rng.uniform(0.5, 80), 2),
                shipped,
                status,
                shipped,
            ),
        )


def logistics_wh(db: sqlite3.Connection, rng: random.Random) -> None:
    db.execute(
        "CREATE TABLE shipment_archive (shpmt_id INTEGER PRIMARY KEY, cust_id INTEGER, wt_kg NUMERIC(8, 2), "
        "ship_dt TEXT, sts TEXT)"
    )


def saas(db: sqlite3.Connection, rng: random.Random) -> None:
    db.executescript(
        """
        CREATE TABLE tbl_accounts (account_id INTEGER PRIMARY KEY, account_name TEXT NOT NULL,
            plan TEXT NOT NULL, region TEXT NOT NULL, is_trial BOOLEAN NOT NULL, signed_up_at TEXT NOT NULL,
            updated_at TEXT NOT NULL);
        CREATE TABLE tbl_subscriptions (subscription_id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES tbl_accounts (account_id), mrr NUMERIC(10, 2) NOT NULL,
            currency TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL);
        CREATE TABLE tbl_events (event_id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES tbl_accounts (account_id), event_type TEXT NOT NULL,
            occurred_at TEXT NOT NULL);
        """
    )
    for i in range(1, 71):
        signed = _ts(rng)
        db.execute(
            "INSERT INTO tbl_accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
            (i, f"Account {i}", rng.choice(("free", "team", "business")), rng.choice(("emea", "amer", "apac")),
             i % 5 == 0, signed, signed),
        )  # fmt: skip
    for i in range(1, 121):
        status = rng.choice(("active", "active", "cancelled", "paused"))
        ended = _ts(rng) if status == "cancelled" else None
        db.execute(
            "INSERT INTO tbl_subscriptions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (i, rng.randint(1, 70), round(rng.uniform(10, 500), 2), rng.choice(("EUR", "USD")), _ts(rng), ended,
             status),
        )  # fmt: skip
    for i in range(1, 501):
        db.execute(
            "INSERT INTO tbl_events VALUES (?, ?, ?, ?)",
            (i, rng.randint(1, 70), rng.choice(("login", "export", "invite", "upgrade")), _ts(rng)),
        )


def saas_wh(db: sqlite3.Connection, rng: random.Random) -> None:
    db.execute(
        "CREATE TABLE account_dim (account_id INTEGER PRIMARY KEY, account_name TEXT, plan TEXT, region TEXT)"
    )


BUILDERS: dict[str, Callable[[sqlite3.Connection, random.Random], None]] = {
    "clinic": clinic, "clinic_wh": clinic_wh, "library": library, "library_wh": library_wh,
    "logistics": logistics, "logistics_wh": logistics_wh, "saas": saas, "saas_wh": saas_wh,
}  # fmt: skip
NAMES = tuple(BUILDERS)


def create(name: str, path: Path) -> None:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        BUILDERS[name](db, random.Random(f"{name}-2026"))
        db.commit()
    finally:
        db.close()


if __name__ == "__main__":
    target = Path(sys.argv[-1]) if len(sys.argv) == 2 else None
    if target is None or target.stem not in BUILDERS:
        sys.exit(f"usage: python databases.py PATH, where PATH's stem is one of {', '.join(NAMES)}")
    create(target.stem, target)
