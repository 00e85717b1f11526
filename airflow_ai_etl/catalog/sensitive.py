"""Column names that say their values are secrets or personal data.

The agents' tools show "***" instead of such values (agents/tools/masking.py), and value summaries
never sample them (catalog/values.py).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

#: One name part that alone marks the column.
_SENSITIVE_WORDS = frozenset(
    {
        "password", "passwd", "pwd", "passphrase", "passcode", "secret", "secrets", "token", "tokens",
        "apikey", "credential", "credentials", "ssn", "email", "emails", "mail", "phone", "telephone",
        "mobile", "msisdn", "card", "cvv", "cvc", "iban", "pin", "salt", "otp", "dob", "birthdate",
        "birthday", "passport", "address"
    }
)  # fmt: skip
#: Adjacent name parts that together mark the column (each part alone is harmless).
_SENSITIVE_PAIRS = frozenset(
    {
        ("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"), ("auth", "key"),
        ("social", "security"), ("tax", "id"), ("national", "id"), ("account", "number"),
        ("bank", "account"), ("birth", "date"), ("of", "birth"), ("ip", "addr"), ("zip", "code"),
        ("postal", "code"), ("first", "name"), ("last", "name"), ("full", "name"),
    }
)  # fmt: skip
#: Long words that mark the column even inside a compact name such as "userpassword".
_SENSITIVE_SUBSTRINGS = ("password", "passwd", "secret", "apikey", "email", "phone", "creditcard")


@lru_cache(maxsize=8192)
def is_sensitive(column: str) -> bool:
    """Whether a column's name looks like it holds a secret or personal data."""
    parts = [p.lower() for p in _TOKEN.findall(column)]
    if any(p in _SENSITIVE_WORDS for p in parts):
        return True
    if any(pair in _SENSITIVE_PAIRS for pair in itertools.pairwise(parts)):
        return True
    compact = "".join(parts)
    return any(word in compact for word in _SENSITIVE_SUBSTRINGS)
