"""Redis Streams source: producers ``XADD`` events, consumers read them with a consumer group.

A consumer acknowledges entries only after the Neo4j transaction that applied them has
committed, so a crash between the two leaves them pending; they are read again (our own
pending entries first, then idle entries of dead consumers via ``XAUTOCLAIM``) and the
event ledger turns the replay into a no-op. Invalid entries (bad UTF-8, bad JSON, over
``MAX_LINE_BYTES``, breaking the contract, or refused by the database) are dead-lettered
*before* they are acknowledged, so a poison entry never blocks the group, and acknowledged
entries are trimmed away (``XTRIM MINID``), so the stream stays bounded. An entry delivered
more than ``max_deliveries`` times (its batches kept crashing or timing out their consumer) is
dead-lettered instead of being read once more. The entry id's millisecond part is the
acceptance time, never later than the moment the consumer reads it (producers may choose ids).

Stream URLs look like ``redis://host:6379/0/events``: the last path segment names the
stream, the one before it the database.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from pydantic import SecretStr

from ingest.deadletter import DeadLetters
from ingest.events import Event, InvalidEvent, parse_record
from ingest.ledger import ReplayWindow
from ingest.sources import MAX_LINE_BYTES, Rejection, decode_json_record
from ingest.writer import GraphWriter
from interestgraph.errors import (
    GraphMemoryError,
    InputError,
    RefusedGraphError,
    StreamFullError,
    TransientGraphError,
)
from interestgraph.settings import redact_url, redis_password, same_redis

log = logging.getLogger(__name__)

FIELD = "event"
_FIELD_KEY = FIELD.encode()
DEFAULT_GROUP = "interestgraph"
CLAIM_IDLE_MS = 30_000
# A stream holds at most this many entries by default (Settings.stream_max_len): publish refuses more.
MAX_LEN = 1_000_000
# An entry read this many times without being acknowledged took its consumer down each time (a
# crash, a kill, a timeout): the next read dead-letters it instead of trying again.
MAX_DELIVERIES = 5
# One batch holds at most this many bytes of entries (--follow reads up to 10,000 entries of up to
# MAX_LINE_BYTES: 640 MB in one transaction without it).
BATCH_BYTES = 16 * 1024 * 1024
# What the database may refuse one batch for: its data (split to find the events it is about) or
# its size (split until it fits); the driver raises ValueError/TypeError for values it cannot send.
_SPLIT_ON = (RefusedGraphError, GraphMemoryError, ValueError, TypeError)


@dataclass(frozen=True)
class StreamSpec:
    """Where a stream lives: a Redis URL (with db) and the stream's key."""

    redis_url: str
    stream: str

    @classmethod
    def parse(cls, url: str) -> StreamSpec:
        """The spec of ``redis://host:port[/db]/stream``; anything else is an input error."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise InputError(f"stream URL must start with redis:// or rediss://, got {url!r}")
        segments = [s for s in parts.path.split("/") if s]
        if not segments:
            raise InputError("stream URL must end with the stream name, e.g. redis://localhost:6379/0/events; "
                             f"got {url!r}")
        stream = segments[-1]
        db = segments[0] if len(segments) == 2 else "0"
        if len(segments) > 2 or not db.isdigit():
            raise InputError(f"stream URL must look like redis://host:port/<db>/<stream>, got {url!r}")
        return cls(urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", "")), stream)

    def client(self, password: str | SecretStr | None = None, *, username: str | None = None,
               broker_url: str | None = None) -> redis.Redis:
        """A client that returns bytes: entries are decoded (and may be refused) one by one.

        Credentials: the URL's own, if it has any; else ``username`` and ``password`` (pass the
        settings'; the password defaults to ``REDIS_PASSWORD(_FILE)``), and those only when the
        stream lives on the broker's Redis (``broker_url``, default ``CELERY_BROKER_URL``): a URL
        naming any other server gets no password of ours.
        """
        if "@" in urlsplit(self.redis_url).netloc:
            return redis.Redis.from_url(self.redis_url, decode_responses=False)
        if isinstance(password, SecretStr):
            password = password.get_secret_value()
        broker = broker_url or os.environ.get("CELERY_BROKER_URL") or "redis://localhost:6379/0"
        if not same_redis(self.redis_url, broker):
            log.warning("stream is not on the broker's Redis: connecting without a password",
                        extra={"stream": self.public_name})
            return redis.Redis.from_url(self.redis_url, decode_responses=False)
        pw = (password if password is not None else redis_password()) or None
        return redis.Redis.from_url(self.redis_url, username=username if pw else None, password=pw,
                                    decode_responses=False)

    @property
    def public_name(self) -> str:
        """``stream@url`` without credentials, for dead letters and logs."""
        return f"{self.stream}@{redact_url(self.redis_url)}"


def publish(client: redis.Redis, stream: str, records: Iterable[dict[str, Any] | str],
            pipeline_size: int = 500, max_len: int = MAX_LEN) -> list[str]:
    """``XADD`` each record (a dict or a raw JSON line); returns the entry ids in order.

    A stream never holds more than ``max_len`` entries: no consumer keeping up is not a reason
    to drop events (``MAXLEN`` would trim unread ones) or to grow without bound, so publishing
    stops with :class:`StreamFullError` (saying how many records went in) when the next
    pipeline would pass the cap, or when Redis itself refuses writes (``maxmemory`` with
    ``noeviction``).
    """
    ids: list[str] = []
    chunk: list[bytes] = []

    def send() -> None:
        room = max_len - int(client.xlen(stream))
        pipe = client.pipeline(transaction=False)
        for payload in chunk[:max(room, 0)]:
            pipe.xadd(stream, {FIELD: payload})
        replies = pipe.execute(raise_on_error=False) if room > 0 else []
        ids.extend(r for r in replies if not isinstance(r, Exception))
        refused = [r for r in replies if isinstance(r, Exception)]
        if any(isinstance(r, redis.exceptions.OutOfMemoryError) for r in refused):
            raise StreamFullError(f"Redis refuses writes (out of memory, maxmemory-policy noeviction) after "
                                  f"{len(ids)} records were published to {stream}; publish the rest when "
                                  "consumers have caught up")
        if refused:
            raise refused[0]
        if room < len(chunk):
            raise StreamFullError(f"stream {stream} holds {max_len} entries, its limit (INTERESTGRAPH_STREAM_MAX_LEN): "
                                  f"{len(ids)} records were published, the rest were not; is a consumer running?")
        chunk.clear()

    for n, rec in enumerate(records):
        payload = rec if isinstance(rec, str) else json.dumps(rec, ensure_ascii=False)
        data = payload.encode("utf-8", "surrogatepass")
        if len(data) > MAX_LINE_BYTES:
            raise InputError(f"record {n + 1} is longer than {MAX_LINE_BYTES} bytes, the limit of a stream entry")
        chunk.append(data)
        if len(chunk) >= pipeline_size:
            send()
    if chunk:
        send()
    return ids


def entry_ms(entry_id: str | bytes) -> int:
    """Acceptance time of a stream entry (the millisecond part of its id)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


def acceptance_ms(entry_id: str | bytes, now_ms: int) -> int:
    """When an entry was accepted: its id's time, but never later than ``now_ms``.

    Producers may choose entry ids (``XADD key 9999999999999-0 ...``); taken as they are, a
    future id would make its events look accepted in the future and corrupt the freshness
    percentiles measured from it.
    """
    return min(entry_ms(entry_id), now_ms)


def _id_key(entry_id: str | bytes) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class PollResult:
    """What one poll did: entries read, their events' outcomes, and how many were redelivered."""

    entries: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    redelivered: int = 0


class StreamConsumer:
    """One consumer of a group; ``poll`` reads, applies, then acknowledges one batch."""

    def __init__(self, spec: StreamSpec, writer: GraphWriter, dead: DeadLetters, *,
                 group: str = DEFAULT_GROUP, consumer: str | None = None, batch_size: int = 2000,
                 block_ms: int = 1000, claim_idle_ms: int = CLAIM_IDLE_MS, max_deliveries: int = MAX_DELIVERIES,
                 batch_bytes: int = BATCH_BYTES, window: ReplayWindow | None = None,
                 client: redis.Redis | None = None) -> None:
        if batch_size <= 0:
            raise InputError(f"batch_size must be > 0, got {batch_size}")
        if batch_bytes < MAX_LINE_BYTES:
            raise InputError(f"batch_bytes must be at least one entry's limit ({MAX_LINE_BYTES}), got {batch_bytes}")
        if max_deliveries <= 0:
            raise InputError(f"max_deliveries must be > 0, got {max_deliveries}")
        self.spec = spec
        self.client: Any = client or spec.client()  # redis-py stubs model RESP3 replies; we use RESP2
        self.writer = writer
        self.dead = dead
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.batch_bytes = batch_bytes
        self.window = window
        self._own_pending_done = False
        self.ensure_group()

    def ensure_group(self) -> None:
        """Create the consumer group (and the stream) unless it exists."""
        try:
            self.client.xgroup_create(self.spec.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    def _round(self, read_bytes: int = 0) -> int:
        """How many entries one read may ask for: as many as fit what is left of ``batch_bytes`` if
        each were as large as an entry may be, and no more than what is left of ``batch_size``."""
        return min(self.batch_size, (self.batch_bytes - read_bytes) // MAX_LINE_BYTES)

    def _read(self) -> tuple[list[tuple[bytes, dict[bytes, bytes]]], bool]:
        """Next entries: our own unacknowledged ones, then idle ones of others, then new ones."""
        if not self._own_pending_done:
            resp = self.client.xreadgroup(self.group, self.consumer, {self.spec.stream: "0"}, count=self._round())
            got = list(resp[0][1]) if resp else []
            trimmed = [eid for eid, fields in got if not fields]  # trimmed away while pending
            if trimmed:
                self.client.xack(self.spec.stream, self.group, *trimmed)
            entries = [(eid, fields) for eid, fields in got if fields]
            if entries:
                return entries, True
            if not trimmed:
                self._own_pending_done = True
        claimed = self.client.xautoclaim(self.spec.stream, self.group, self.consumer, self.claim_idle_ms,
                                         start_id="0-0", count=self._round())
        entries = [(eid, fields) for eid, fields in claimed[1] if fields]
        if entries:
            return entries, True
        return self._read_new(), False

    def _read_new(self) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """New entries: at most ``batch_size`` of them and ``batch_bytes`` in all.

        Redis counts entries, not bytes, so they are read in rounds, each asking for no more
        than what is left of the byte budget could hold at the largest entry size; only the
        first round waits (``block_ms``) for entries to come.
        """
        got: list[tuple[bytes, dict[bytes, bytes]]] = []
        size = 0
        block: int | None = self.block_ms
        while (count := min(self._round(size), self.batch_size - len(got))) > 0:
            resp = self.client.xreadgroup(self.group, self.consumer, {self.spec.stream: ">"}, count=count, block=block)
            entries = list(resp[0][1]) if resp else []
            got.extend(entries)
            size += sum(len(k) + len(v) for _, fields in entries for k, v in fields.items())
            if len(entries) < count:
                break
            block = None
        return got

    def _over_delivered(self, entries: Sequence[tuple[bytes, dict[bytes, bytes]]]) -> dict[bytes, int]:
        """The redelivered ``entries`` read more than ``max_deliveries`` times, with their counts.

        ``XREADGROUP`` of our own history and ``XAUTOCLAIM`` both count a delivery; the counts
        are in the group's pending list (now ours: the entries were just read or claimed).
        """
        ids = [eid for eid, _ in entries]
        wanted = set(ids)
        lo, hi = min(ids, key=_id_key), max(ids, key=_id_key)
        rows = self.client.xpending_range(self.spec.stream, self.group, min=lo, max=hi, count=2 * len(ids),
                                          consumername=self.consumer)
        return {row["message_id"]: row["times_delivered"] for row in rows
                if row["message_id"] in wanted and row["times_delivered"] > self.max_deliveries}

    def _decode(self, entries: Sequence[tuple[bytes, dict[bytes, bytes]]],
                redelivered: bool = False) -> tuple[list[Event], dict[str, int]]:
        """Events of ``entries``; every entry that is not one is dead-lettered, never raised.

        A redelivered entry read more than ``max_deliveries`` times is dead-lettered unread: its
        batch has taken a consumer down that often. With a ``window``, so are events dated before it.
        """
        events = []
        accepted: dict[str, int] = {}
        too_often = self._over_delivered(entries) if redelivered else {}
        now_ms = int(time.time() * 1000)
        for eid, fields in entries:
            where = f"{self.spec.public_name}#{eid.decode()}"
            raw = fields.get(_FIELD_KEY, b"")
            if eid in too_often:
                self.dead.add(Rejection(where, 0, f"delivered {too_often[eid]} times without being acknowledged "
                                        f"(the limit is {self.max_deliveries}): each batch holding it crashed or "
                                        "timed out its consumer", raw[:2000].decode("utf-8", "replace")))
                continue
            rec = decode_json_record(raw, where, 0)
            if isinstance(rec, Rejection):
                self.dead.add(rec)
                continue
            try:
                ev = parse_record(rec)
            except InvalidEvent as e:
                self.dead.add(Rejection(where, 0, str(e), raw[:2000].decode("utf-8", "replace")))
                continue
            too_old = self.window.refusal(ev.ts_ms, now_ms) if self.window is not None else None
            if too_old is not None:
                self.dead.add(Rejection(where, 0, too_old, raw[:2000].decode("utf-8", "replace")))
                continue
            events.append(ev)
            accepted.setdefault(ev.event_id, acceptance_ms(eid, now_ms))
        return events, accepted

    def _write(self, events: list[Event], accepted: dict[str, int]) -> tuple[int, int]:
        """Apply ``events``; returns (accepted, duplicates).

        A batch the database refuses for its data (:class:`RefusedGraphError`) or its size
        (:class:`GraphMemoryError`) is split in halves, and each half written on its own, down
        to single events; an event refused alone is dead-lettered. So a poison entry costs its
        own entry (and about two writes per halving), never the group. Outages and errors that
        are not about the batch (an unknown database, credentials) propagate: nothing is
        acknowledged, the batch is read again, and ``max_deliveries`` bounds how often.
        """
        try:
            result = self.writer.write(events, accepted=accepted)
            return result.accepted, result.duplicates
        except _SPLIT_ON as e:
            if len(events) == 1:
                self.dead.add(Rejection(self.spec.public_name, 0, f"refused by the database: {type(e).__name__}: "
                                        f"{str(e)[:300]}", json.dumps({"event_id": events[0].event_id})))
                return 0, 0
            log.warning("stream batch refused; writing it in halves",
                        extra={"stream": self.spec.public_name, "events": len(events), "error": type(e).__name__})
        half = len(events) // 2
        first, second = self._write(events[:half], accepted), self._write(events[half:], accepted)
        return first[0] + second[0], first[1] + second[1]

    def trim(self) -> None:
        """Drop entries every group has acknowledged (``XTRIM MINID ~``), so the stream stays bounded.

        The floor is, per group, its oldest pending entry, else its last delivered one.
        """
        floor: tuple[int, int] | None = None
        for group in self.client.xinfo_groups(self.spec.stream):
            name = group["name"]
            low = group["last-delivered-id"]
            if group["pending"]:
                low = self.client.xpending(self.spec.stream, name)["min"]
            key = _id_key(low)
            floor = key if floor is None or key < floor else floor
        if floor is not None and floor > (0, 0):
            self.client.xtrim(self.spec.stream, minid=f"{floor[0]}-{floor[1]}", approximate=True)

    def poll(self) -> PollResult:
        """Read one batch, write it, then acknowledge it and trim the stream; an empty result when nothing came."""
        entries, redelivered = self._read()
        if not entries:
            return PollResult()
        before = self.dead.count
        started = time.perf_counter()
        events, accepted = self._decode(entries, redelivered)
        applied, duplicates = self._write(events, accepted) if events else (0, 0)
        # Only now, after the commit (and the dead letters are flushed), is it safe to ack.
        self.client.xack(self.spec.stream, self.group, *[eid for eid, _ in entries])
        self.trim()
        log.info("stream batch", extra={
            "stream": self.spec.public_name, "entries": len(entries), "applied": applied,
            "oldest_wait_s": round(time.time() - acceptance_ms(entries[0][0], int(time.time() * 1000)) / 1000, 3),
            "write_s": round(time.perf_counter() - started, 3)})
        return PollResult(
            entries=len(entries),
            accepted=applied,
            duplicates=duplicates,
            rejected=self.dead.count - before,
            redelivered=len(entries) if redelivered else 0,
        )

    def drain(self, max_seconds: float | None = None, idle_exit_s: float | None = None,
              outage_s: float = 300.0) -> PollResult:
        """Poll until ``max_seconds`` pass or the stream stays empty for ``idle_exit_s``.

        A Neo4j or Redis outage is waited out (backing off up to 5 s, for ``outage_s`` at
        most): nothing was acknowledged, so the entries are read again once it is back.
        """
        total = PollResult()
        started = last_data = time.monotonic()
        down_since: float | None = None
        while True:
            try:
                got = self.poll()
                down_since = None
            except (TransientGraphError, redis.ConnectionError, redis.TimeoutError) as e:
                now = time.monotonic()
                down_since = down_since or now
                if now - down_since > outage_s:
                    raise
                log.warning("ingest paused; retrying", extra={"stream": self.spec.public_name,
                                                             "error": f"{type(e).__name__}: {e}",
                                                             "down_s": round(now - down_since, 1)})
                self._own_pending_done = False
                time.sleep(min(5.0, 0.2 * 2 ** min(int(now - down_since), 5)))
                continue
            now = time.monotonic()
            if got.entries:
                last_data = now
                for name in ("entries", "accepted", "rejected", "duplicates", "redelivered"):
                    setattr(total, name, getattr(total, name) + getattr(got, name))
            if (max_seconds is not None and now - started >= max_seconds) or \
                    (idle_exit_s is not None and not got.entries and now - last_data >= idle_exit_s):
                self.writer.flush()
                return total
