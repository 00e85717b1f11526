"""Where cache entries live: Redis (shared by every process) or an in-process LRU.

A backend stores opaque bytes under string keys, each for at most `ttl_s` seconds, at most
`max_entries` of them (the least recently used go first). It knows nothing of what the bytes
mean: `entries` checks them on the way out. A Redis failure is raised as BackendError for the
cache to skip over; it never reaches a generation.

Beside the entries, a backend keeps the intent tier's records per group (`proposals`): a list of
at most `max_entries` (the newest), and a count of all records ever added, so that a process can
ask for only those added since its last look.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis


class BackendError(RuntimeError):
    """The backend could not be reached or answered something unusable."""


class CacheBackend(Protocol):
    """What the cache needs from a store of entries."""

    description: str

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes) -> None: ...

    def delete(self, key: str) -> None: ...

    def clear(self) -> int:
        """Drop every entry and counter; how many entries there were."""
        ...

    def count(self) -> int: ...

    def add_record(self, group: str, record: bytes) -> None: ...

    def records(self, group: str, seen: int) -> tuple[int, list[bytes], bool]:
        """(records ever added to `group`, the ones added after the first `seen`, whether that is
        all of the group's records instead: `seen` is ahead of the count, or they were dropped)."""
        ...

    def add_counts(self, counts: Mapping[str, float]) -> None:
        """Add to the named counters (hits, misses, saved tokens ...)."""
        ...

    def counts(self) -> dict[str, float]: ...


class MemoryBackend:
    """An LRU dict with expiry, for one process (the default without a Redis connection)."""

    def __init__(self, *, ttl_s: float, max_entries: int) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.description = f"in-process LRU (this process only, at most {max_entries} entries)"
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counts: dict[str, float] = {}
        self._records: dict[str, tuple[int, deque[bytes]]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: str, value: bytes) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self._counts.clear()
            self._records.clear()
            return count

    def count(self) -> int:
        with self._lock:
            return len(self._entries)

    def add_record(self, group: str, record: bytes) -> None:
        with self._lock:
            total, kept = self._records.get(group, (0, deque(maxlen=self.max_entries)))
            kept.append(record)
            self._records[group] = (total + 1, kept)

    def records(self, group: str, seen: int) -> tuple[int, list[bytes], bool]:
        with self._lock:
            total, kept = self._records.get(group, (0, deque()))
            return _since(total, list(kept), seen)

    def add_counts(self, counts: Mapping[str, float]) -> None:
        with self._lock:
            for name, value in counts.items():
                self._counts[name] = self._counts.get(name, 0) + value

    def counts(self) -> dict[str, float]:
        with self._lock:
            return dict(self._counts)


#: Store an entry and keep the recency index within the cap, atomically (so that concurrent writers
#: from several processes never leave the index and the entries disagreeing for long).
#: KEYS: entry, index. ARGV: value, ttl seconds, now, max entries.
_PUT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[2]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
return 1
"""


#: Add a record to a group's list, count it, keep the newest `cap`, and let both expire with the entries.
#: KEYS: list, counter. ARGV: record, cap, ttl seconds.
_ADD_RECORD = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
local total = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return total
"""

#: The count of a group's records and those added after the first `seen` (all, when they cannot
#: be told apart), in one round trip. KEYS: list, counter. ARGV: seen.
_RECORDS = """
local total = tonumber(redis.call('GET', KEYS[2]) or '0')
local seen = tonumber(ARGV[1])
local kept = redis.call('LLEN', KEYS[1])
if seen > total or total - seen > kept then
  return {total, 1, redis.call('LRANGE', KEYS[1], 0, -1)}
end
if total == seen then return {total, 0, {}} end
return {total, 0, redis.call('LRANGE', KEYS[1], seen - total, -1)}
"""


def _since(total: int, kept: list[bytes], seen: int) -> tuple[int, list[bytes], bool]:
    """`records` of a group holding `kept` (the newest) of `total` records ever added."""
    if seen > total or total - seen > len(kept):
        return total, kept, True
    return total, kept[len(kept) - (total - seen) :], False


class RedisBackend:
    """Entries as Redis strings with an expiry, a sorted set ordering them by last use for the cap,
    and a hash of counters; all under `prefix`, so that several deployments can share one Redis."""

    def __init__(
        self, client: redis.Redis, *, prefix: str, ttl_s: float, max_entries: int, where: str = ""
    ) -> None:
        # Any: redis-py's stubs type every reply as `Awaitable | Any` in some versions (sync and
        # async clients share them); the replies of this sync client are plain values.
        self.client: Any = client
        self.prefix = prefix
        self.ttl_s = max(1, int(ttl_s))
        self.max_entries = max_entries
        self.description = f"Redis{where} (shared, at most {max_entries} entries)"
        self._index = f"{prefix}index"
        self._stats = f"{prefix}stats"
        self._put = client.register_script(_PUT)
        self._add_record = client.register_script(_ADD_RECORD)
        self._records = client.register_script(_RECORDS)

    def _key(self, key: str) -> str:
        return f"{self.prefix}entry:{key}"

    def get(self, key: str) -> bytes | None:
        import redis

        name = self._key(key)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.get(name)
            pipe.zadd(self._index, {name: time.time()}, xx=True)
            value, _touched = pipe.execute()
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc
        if value is None or isinstance(value, bytes):
            return value
        raise BackendError(f"Redis answered a {type(value).__name__} for an entry, not bytes")

    def put(self, key: str, value: bytes) -> None:
        import redis

        try:
            self._put(
                keys=[self._key(key), self._index], args=[value, self.ttl_s, time.time(), self.max_entries]
            )
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc

    def delete(self, key: str) -> None:
        import redis

        name = self._key(key)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.delete(name)
            pipe.zrem(self._index, name)
            pipe.execute()
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc

    def _record_keys(self, group: str) -> list[str]:
        return [f"{self.prefix}proposals:{group}", f"{self.prefix}proposals:{group}:count"]

    def add_record(self, group: str, record: bytes) -> None:
        import redis

        try:
            self._add_record(keys=self._record_keys(group), args=[record, self.max_entries, self.ttl_s])
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc

    def records(self, group: str, seen: int) -> tuple[int, list[bytes], bool]:
        import redis

        try:
            answer = self._records(keys=self._record_keys(group), args=[seen])
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc
        try:
            total, complete, added = answer
            if not all(isinstance(r, bytes) for r in added):
                raise TypeError("records are not bytes")
            return int(total), list(added), bool(complete)
        except (TypeError, ValueError) as exc:
            raise BackendError(f"Redis answered something that is not a group's records: {exc}") from exc

    def clear(self) -> int:
        import redis

        try:
            names = list(self.client.scan_iter(match=f"{self.prefix}entry:*", count=1000))
            count = 0
            for start in range(0, len(names), 1000):
                count += int(self.client.delete(*names[start : start + 1000]))
            proposals = list(self.client.scan_iter(match=f"{self.prefix}proposals:*", count=1000))
            for start in range(0, len(proposals), 1000):
                self.client.delete(*proposals[start : start + 1000])
            self.client.delete(self._index, self._stats)
            return count
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc

    def count(self) -> int:
        import redis

        try:
            self.client.zremrangebyscore(self._index, "-inf", time.time() - self.ttl_s)
            return int(self.client.zcard(self._index))
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc

    def add_counts(self, counts: Mapping[str, float]) -> None:
        import redis

        try:
            pipe = self.client.pipeline(transaction=False)
            for name, value in counts.items():
                pipe.hincrbyfloat(self._stats, name, value)
            pipe.execute()
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc

    def counts(self) -> dict[str, float]:
        import redis

        try:
            raw = self.client.hgetall(self._stats)
        except redis.RedisError as exc:
            raise BackendError(f"Redis: {exc}") from exc
        counts: dict[str, float] = {}
        for name, value in raw.items():
            try:
                counts[name.decode() if isinstance(name, bytes) else str(name)] = float(value)
            except (ValueError, UnicodeDecodeError):
                continue  # a counter someone else wrote: not ours to read
        return counts
