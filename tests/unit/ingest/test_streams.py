import pytest

from ingest.streams import StreamSpec, entry_ms
from interestgraph.errors import InputError


def test_stream_url_parsing():
    assert StreamSpec.parse("redis://localhost:6379/0/events") == StreamSpec("redis://localhost:6379/0", "events")
    assert StreamSpec.parse("redis://h:1/events") == StreamSpec("redis://h:1/0", "events")
    for bad in ("http://x/0/e", "redis://localhost:6379", "redis://h/x/events", "redis://h/0/a/b"):
        with pytest.raises(InputError):
            StreamSpec.parse(bad)


def test_entry_time():
    assert entry_ms("1795773600000-3") == 1795773600000


def test_entry_ids_order_numerically():
    from ingest.streams import _id_key

    assert _id_key(b"1795773600000-10") > _id_key("1795773600000-9") > _id_key("999-99")
    assert entry_ms(b"1795773600000-3") == 1795773600000


# --- a batch the database refuses ----------------------------------------------------------

class NoRedis:
    """Only what the constructor touches: the group already exists."""

    def xgroup_create(self, *args, **kwargs):
        return True


class PickyWriter:
    """A writer whose database refuses some events' data and runs out of memory above a size."""

    def __init__(self, refuse=(), max_batch=None):
        self.refuse, self.max_batch, self.written = set(refuse), max_batch, []

    def write(self, events, accepted=None):
        from ingest.writer import BatchResult
        from interestgraph.errors import GraphMemoryError, RefusedGraphError

        if self.max_batch is not None and len(events) > self.max_batch:
            raise GraphMemoryError("ingest batch: Neo4j ran out of memory")
        if self.refuse & {ev.event_id for ev in events}:
            raise RefusedGraphError("ingest batch: Neo.ClientError.Statement.TypeError: Type mismatch")
        self.written.append(len(events))
        return BatchResult(len(events), 0)


def consume(writer, tmp_path, n=100):
    from ingest.deadletter import DeadLetters
    from ingest.events import Event, EventType
    from ingest.streams import StreamConsumer

    events = [Event(f"e{k}", "u", EventType.VIEW, 1_795_000_000_000 + k, item_id="i") for k in range(n)]
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        consumer = StreamConsumer(StreamSpec("redis://localhost:6379/0", "events"), writer, dead, client=NoRedis())
        done = consumer._write(events, {ev.event_id: ev.ts_ms for ev in events})
    return done, dead.count


def test_a_refused_batch_is_halved_until_the_refused_events_are_alone(tmp_path):
    writer = PickyWriter(refuse={"e17", "e80"})
    (accepted, duplicates), dead = consume(writer, tmp_path)
    assert (accepted, duplicates, dead) == (98, 0, 2)
    assert sum(writer.written) == 98 and len(writer.written) < 20  # not one write per event
    assert "refused by the database" in (tmp_path / "dead.jsonl").read_text()


def test_a_batch_that_runs_out_of_memory_is_halved_until_it_fits(tmp_path):
    writer = PickyWriter(max_batch=30)
    (accepted, _), dead = consume(writer, tmp_path)
    assert accepted == 100 and dead == 0 and max(writer.written) <= 30


def test_an_event_that_runs_out_of_memory_alone_is_dead_lettered(tmp_path):
    (accepted, _), dead = consume(PickyWriter(max_batch=0), tmp_path, n=3)
    assert accepted == 0 and dead == 3


def test_a_producer_chosen_entry_id_never_dates_acceptance_in_the_future():
    from ingest.streams import acceptance_ms

    assert acceptance_ms(b"9999999999999-0", 1_795_000_000_000) == 1_795_000_000_000
    assert acceptance_ms("1794999999000-7", 1_795_000_000_000) == 1_794_999_999_000


# --- whose password goes where -----------------------------------------------------------

def sent_password(client):
    return client.connection_pool.connection_kwargs.get("password")


def test_our_password_goes_only_to_the_brokers_redis():
    broker = "redis://localhost:6390/0"
    assert sent_password(StreamSpec.parse("redis://localhost:6390/0/events").client("pw", broker_url=broker)) == "pw"
    assert sent_password(StreamSpec.parse("redis://localhost:6390/3/events").client("pw", broker_url=broker)) == "pw"
    for elsewhere in ("redis://attacker.example:6390/0/events", "redis://localhost:6391/0/events",
                      "rediss://localhost:6390/0/events", "redis://127.0.0.1:6390/0/events"):
        assert sent_password(StreamSpec.parse(elsewhere).client("pw", broker_url=broker)) is None, elsewhere
    # Credentials written into the URL are the caller's explicit choice.
    assert sent_password(StreamSpec.parse("redis://u:own@elsewhere:1/0/events").client("pw", broker_url=broker)) \
        == "own"


def test_a_drain_task_consumes_the_configured_stream_only():
    from interestgraph.errors import ConfigError, InputError
    from interestgraph.settings import Settings
    from workers.tasks import stream_to_drain

    s = Settings.without_graph({"INTERESTGRAPH_STREAM_URL": "redis://redis:6379/0/events"})
    assert stream_to_drain(s, None) == stream_to_drain(s, "redis://redis:6379/0/events") == s.stream_url
    with pytest.raises(InputError, match="INTERESTGRAPH_STREAM_URL only"):
        stream_to_drain(s, "redis://attacker.example:6379/0/events")
    with pytest.raises(ConfigError):
        stream_to_drain(Settings.without_graph({}), "redis://attacker.example:6379/0/events")


def test_a_producer_sees_stream_full_when_redis_refuses_writes():
    import redis

    from ingest.streams import publish
    from interestgraph.errors import StreamFullError

    class FullRedis:  # maxmemory reached under noeviction: Redis answers every XADD with -OOM
        def xlen(self, stream):
            return 0

        def pipeline(self, transaction=False):
            return self

        def xadd(self, *args, **kwargs):
            pass

        def execute(self, raise_on_error=True):  # the first XADD fits, the second does not
            return [b"1-0", redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'")]

    with pytest.raises(StreamFullError, match="Redis refuses writes .* after 1 records"):
        publish(FullRedis(), "events", [{"event_id": "e1"}, {"event_id": "e2"}])
