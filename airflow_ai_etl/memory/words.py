"""Names as words: `orderItems`, `order_items`, `ORDER_ITEMS` -> "order items", abbreviations spelt out.

Apart from linking.py (which needs numpy and the embedder) so that the offline planner, which
only splits names, loads neither.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


#: Abbreviations common in column and table names, spelt out before embedding: the model knows
#: "amount" but reads "amt" as noise. The naming conventions' class words (ISO 11179 style: nm, cd,
#: nbr, ind) and the standard acronyms of business metrics, which the model cannot read either
#: ("mrr" is noise, "monthly recurring revenue" is revenue).
ABBREVIATIONS = {
    "amt": "amount", "qty": "quantity", "cnt": "count", "num": "number", "nbr": "number", "no": "number",
    "dt": "date", "ts": "timestamp", "tstamp": "timestamp", "desc": "description", "addr": "address",
    "cust": "customer", "prod": "product", "txn": "transaction", "trx": "transaction", "acct": "account",
    "emp": "employee", "dept": "department", "mgr": "manager", "org": "organization", "qtr": "quarter",
    "yr": "year", "mo": "month", "pct": "percent", "avg": "average", "tot": "total", "bal": "balance",
    "inv": "invoice", "pmt": "payment", "ref": "reference", "cat": "category", "id": "id",
    "nm": "name", "cd": "code", "ind": "indicator", "flg": "flag", "txt": "text",
    "dob": "date of birth", "ssn": "social security number", "tel": "telephone", "msg": "message",
    "src": "source", "dst": "destination", "tgt": "target", "seq": "sequence",
    "mrr": "monthly recurring revenue", "arr": "annual recurring revenue", "ltv": "lifetime value",
    "clv": "customer lifetime value", "cac": "customer acquisition cost", "aov": "average order value",
    "gmv": "gross merchandise value", "arpu": "average revenue per user", "cogs": "cost of goods sold",
    "roi": "return on investment", "kpi": "key performance indicator", "sla": "service level agreement",
    "eta": "estimated time of arrival", "dau": "daily active users", "mau": "monthly active users",
    "ytd": "year to date", "mtd": "month to date", "yoy": "year over year", "vat": "value added tax",
    "sku": "stock keeping unit", "uom": "unit of measure", "nps": "net promoter score",
    "ctr": "click through rate", "cpc": "cost per click", "pnl": "profit and loss",
    "ebitda": "earnings before interest taxes depreciation and amortization",
    "tbl": "", "tb": "",
}  # fmt: skip


def identifier_words(name: str) -> str:
    """`orderItems`, `order_items`, `ORDER_ITEMS` -> "order items"; abbreviations spelt out."""
    words = (ABBREVIATIONS.get(w.lower(), w.lower()) for w in _WORD.findall(name))
    return " ".join(w for w in words if w)
