import gzip
import json

import pytest

from ingest.sources import Rejection, decode_json_record, read_records
from interestgraph.errors import InputError


def test_jsonl_line_numbers_and_bad_json(tmp_path):
    p = tmp_path / "e.jsonl"
    p.write_text('{"a": 1}\n\n{not json}\n[1]\n{"b": 2}\n', encoding="utf-8")
    out = list(read_records(p))
    assert [n for n, _ in out] == [1, 3, 4, 5]
    assert out[0][1] == {"a": 1}
    assert isinstance(out[1][1], Rejection) and "invalid JSON" in out[1][1].reason
    assert isinstance(out[2][1], Rejection) and "JSON object" in out[2][1].reason
    assert out[3][1] == {"b": 2}


def test_gzip_jsonl(tmp_path):
    p = tmp_path / "e.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"x": "蓝牙"}) + "\n")
    assert list(read_records(p)) == [(1, {"x": "蓝牙"})]


def test_csv_maps_item_columns_and_keeps_item_id(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text(
        "event_id,user_id,type,ts,item_id,item_title,item_category,item_price\n"
        "e1,u1,view,1795773600000,i1,耳机,audio|music,19.5\n"
        "e2,u1,view,1795773600000\n",
        encoding="utf-8",
    )
    out = list(read_records(p))
    assert out[0] == (2, {"event_id": "e1", "user_id": "u1", "type": "view", "ts": "1795773600000",
                          "item_id": "i1", "item": {"title": "耳机", "category": ["audio", "music"],
                                                    "price": "19.5"}})
    assert isinstance(out[1][1], Rejection) and out[1][0] == 3 and "columns" in out[1][1].reason


def test_csv_header_must_be_known(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("event_id,user_id,type,ts,colour\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown CSV columns"):
        list(read_records(p))


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_records(tmp_path / "nope.jsonl"))
    bad = tmp_path / "e.txt"
    bad.write_text("x")
    with pytest.raises(InputError, match="expected a .jsonl"):
        list(read_records(bad))


def test_bad_byte_costs_one_line_and_bom_is_skipped(tmp_path):
    p = tmp_path / "e.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"a": 1}\n{"b": "\xff"}\n{"c": 3}\r\n')
    out = list(read_records(p))
    assert out[0] == (1, {"a": 1}) and out[2] == (3, {"c": 3})
    assert isinstance(out[1][1], Rejection) and out[1][1].reason.startswith("not valid UTF-8")
    assert out[1][1].raw == '{"b": "\\xff"}'


def test_csv_bom_bad_byte_and_multiline_field(tmp_path):
    p = tmp_path / "e.csv"
    p.write_bytes(b"\xef\xbb\xbfevent_id,user_id,type,ts,item_id,text,rating\n"
                  b'e1,u1,review,1795773600000,i1,"two\nlines",5\n'
                  b"e2,u1,view,1795773600000,i1,\xff,\n"
                  b"e3,u1,view,1795773600000,i1,,\n")
    out = list(read_records(p))
    assert out[0] == (2, {"event_id": "e1", "user_id": "u1", "type": "review", "ts": "1795773600000",
                          "item_id": "i1", "text": "two\nlines", "rating": "5"})
    assert out[1][0] == 4 and isinstance(out[1][1], Rejection) and "not valid UTF-8" in out[1][1].reason
    assert out[2][0] == 5 and out[2][1]["event_id"] == "e3"


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"x" * (64 * 1024 + 1), "longer than 65536 bytes"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b'{"a": ' + b"1" * 41 + b"}", "longer than 40 characters"),
        (b"[" * 33 + b"]" * 33, "nests deeper than 32"),
        (b'{"a": "\\udc00"}', "lone surrogate"),
        (b'{"a": Infinity}', "not a JSON value"),
        (b"\xc3\x28", "not valid UTF-8"),
        (b"  ", "empty record"),
        (b"[]", "must be a JSON object"),
    ],
)
def test_decode_json_record_rejects_with_a_reason(raw, reason):
    out = decode_json_record(raw, "stream#1-0", 0)
    assert isinstance(out, Rejection) and reason in out.reason and out.source == "stream#1-0"


def test_decode_json_record_accepts_bytes_and_text():
    assert decode_json_record(b'\xef\xbb\xbf{"a": [1, 2.5, "\xe8\x93\x9d"]}', "s", 1) == {"a": [1, 2.5, "蓝"]}
    assert decode_json_record('{"a": "蓝"}', "s", 1) == {"a": "蓝"}


@pytest.mark.parametrize("name", ["bomb.jsonl.gz", "bomb.csv.gz"])
def test_a_gzip_of_blank_lines_stops_at_the_blank_line_cap_and_says_so(tmp_path, name):
    import time

    from ingest.sources import MAX_BLANK_LINES

    path = tmp_path / name
    header = b"event_id,user_id,type,ts\n" if name.startswith("bomb.csv") else b""
    last = b'{"event_id": "e1"}\n' if "jsonl" in name else b"e1,u1,view,1795000000000\n"
    with gzip.open(path, "wb") as f:
        f.write(header)
        for _ in range(100):  # 8 MB of blank lines: a few KB compressed
            f.write(b"\n" * 80_000)
        f.write(last)
    assert path.stat().st_size < 50_000
    started = time.process_time()
    out = list(read_records(path))
    assert time.process_time() - started < 2.0
    (lineno, rejection), = out
    assert isinstance(rejection, Rejection) and f"more than {MAX_BLANK_LINES} blank lines" in rejection.reason
    assert lineno == MAX_BLANK_LINES + 1 + len(header.splitlines())
