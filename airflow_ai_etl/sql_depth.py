"""How deep SQL may nest while sqlglot parses and walks it: `deep_nesting()`.

Its own small module (sys, threading) so that code parsing SQL outside validation (lineage in a
worker, the agents' tools) uses it without importing the validator.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: sqlglot parses and walks recursively, ~15 Python frames per nesting level: Python's default
#: limit (1,000) fails at ~60 nested subqueries, PostgreSQL accepts far more. Python 3.11 runs
#: Python-to-Python calls without growing the C stack, so this limit is safe to raise while SQL
#: is checked; elsewhere a runaway recursion still fails early.
_RECURSION_LIMIT = 5000


class _NestingAllowance:
    """The raised limit and who is using it. The limit is the interpreter's, shared by its threads:
    it is raised when the first user enters (never lowered), and the limit found then is restored
    when the last one leaves, unless someone else changed it meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._outer_limit = 0

    def enter(self) -> None:
        with self._lock:
            if self._users == 0:
                self._outer_limit = sys.getrecursionlimit()
                if self._outer_limit < _RECURSION_LIMIT:
                    sys.setrecursionlimit(_RECURSION_LIMIT)
            self._users += 1

    def leave(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and sys.getrecursionlimit() == max(self._outer_limit, _RECURSION_LIMIT):
                sys.setrecursionlimit(self._outer_limit)


_allowance = _NestingAllowance()


@contextmanager
def deep_nesting() -> Iterator[None]:
    """While SQL is parsed and walked: a recursion limit high enough for deeply nested SQL, the
    rest of the process keeping its own. Re-entrant, and a decorator too (`@deep_nesting()`)."""
    _allowance.enter()
    try:
        yield
    finally:
        _allowance.leave()
