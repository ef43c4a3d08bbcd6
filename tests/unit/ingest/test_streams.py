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
