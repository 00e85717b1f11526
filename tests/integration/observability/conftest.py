"""The StatsD listener fixture for this folder's tests."""

from tests.support.statsd import statsd

__all__ = ["statsd"]
