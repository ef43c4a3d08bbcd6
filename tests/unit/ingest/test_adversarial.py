"""Hostile input: every record lands or is rejected with a reason, and nothing else happens.

The checked-in corpus (tests/data/adversarial, written by its make_corpus.py) pins the
outcome of each line; the properties (hypothesis) check that no input at all makes a
decoder, a reader or the validator raise anything but the one documented error.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.decode import MAX_DEPTH, MAX_LINE_BYTES, check_depth, loads
from ingest.events import _FORBIDDEN, _FORBIDDEN_RANGES, Event, InvalidEvent, parse_record
from ingest.sources import Rejection, decode_json_record, read_records
from ingest.writer import clamp_item_metadata
from interestgraph.errors import InputError

CORPUS = Path(__file__).parents[2] / "data" / "adversarial"
NOW = 1_800_000_000_000
FEW = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _corpus_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def outcomes(path: Path) -> dict[int, str | None]:
    """line -> None (accepted) or the rejection reason, as the ingest pipeline decides."""
    out: dict[int, str | None] = {}
    for line, rec in read_records(path):
        assert line not in out, f"line {line} yielded twice"
        if isinstance(rec, Rejection):
            assert rec.line == line
            out[line] = rec.reason
            continue
        try:
            parse_record(rec, NOW)
            out[line] = None
        except InvalidEvent as e:
            out[line] = str(e)
    return out


def test_corpus_files_match_their_generator():
    mod = _corpus_module()
    for name, cases in mod.files().items():
        assert (CORPUS / name).read_bytes() == b"".join(line + b"\n" for line, _ in cases), \
            f"run python {CORPUS / 'make_corpus.py'}"


@pytest.mark.parametrize("name", ["events.jsonl", "events.csv"])
def test_every_corpus_line_has_its_expected_outcome(name):
    expected = [json.loads(x) for x in (CORPUS / f"{name}.expected.jsonl").read_text(encoding="utf-8").splitlines()]
    got = outcomes(CORPUS / name)
    assert sorted(got) == [e["line"] for e in expected], "a line yielded a record it should not have, or none"
    for e in expected:
        reason = got[e["line"]]
        if e.get("accept"):
            assert reason is None, f"{name}:{e['line']} should be accepted, was rejected: {reason}"
        else:
            assert reason is not None, f"{name}:{e['line']} should be rejected ({e['reject']}), was accepted"
            assert e["reject"] in reason, f"{name}:{e['line']}: {reason!r} does not say {e['reject']!r}"


def test_corpus_rejections_are_writable_dead_letters():
    for name in ("events.jsonl", "events.csv"):
        for _, rec in read_records(CORPUS / name):
            if isinstance(rec, Rejection):
                json.dumps(rec.as_dict(), ensure_ascii=False).encode("utf-8")  # no lone surrogates
                assert len(rec.raw) <= 2000


def test_leap_second_maps_to_the_last_millisecond():
    e = parse_record({"event_id": "e", "user_id": "u", "type": "view", "ts": "2016-12-31T23:59:60Z",
                      "item_id": "i"}, NOW)
    assert e.ts_ms == 1_483_228_799_999  # 2016-12-31T23:59:59.999Z


def test_forbidden_ranges_are_exactly_the_unicode_categories():
    cats = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    listed = {cp for a, b in _FORBIDDEN_RANGES for cp in range(a, b + 1)}
    actual = {cp for cp in range(0x110000) if unicodedata.category(chr(cp)) in cats}
    assert listed == actual
    assert _FORBIDDEN.search("\u202e") and _FORBIDDEN.search("\ud800") and not _FORBIDDEN.search("蓝牙 é")


# --- lines that are too long, in memory and on disk ------------------------------------------

def test_over_long_line_costs_that_line_only(tmp_path):
    p = tmp_path / "long.jsonl"
    good = json.dumps({"event_id": "e1", "user_id": "u1", "type": "view", "ts": 1795773600000, "item_id": "i1"})
    p.write_bytes(f"{good}\n".encode() + b'{"x": "' + b"a" * (3 * MAX_LINE_BYTES) + b'"}\n'
                  + f"{good}\n".encode() + b"b" * (MAX_LINE_BYTES + 1))  # the last line has no "\n"
    out = list(read_records(p))
    assert [n for n, _ in out] == [1, 2, 3, 4]
    assert isinstance(out[1][1], Rejection) and "longer than 65536 bytes" in out[1][1].reason
    assert len(out[1][1].raw) <= 200
    assert out[2][1] == json.loads(good)
    assert isinstance(out[3][1], Rejection)
    # A line of exactly the limit is fine.
    exact = tmp_path / "exact.jsonl"
    pad = MAX_LINE_BYTES - len('{"p": ""}')
    exact.write_bytes(b'{"p": "' + b"x" * pad + b'"}\n')
    assert list(read_records(exact)) == [(1, {"p": "x" * pad})]


def test_csv_record_with_an_open_quote_is_bounded(tmp_path):
    p = tmp_path / "open.csv"
    rows = [b"event_id,user_id,type,ts,item_id,text,rating", b'c1,u1,review,1795773600000,i1,"open,5']
    rows += [b"x" * 1000] * 100  # 100 KB of lines swallowed by the open quote
    rows += [b"c2,u1,view,1795773600000,i1,,"]
    p.write_bytes(b"\n".join(rows) + b"\n")
    out = list(read_records(p))
    assert isinstance(out[0][1], Rejection) and "is a quote left open" in out[0][1].reason
    assert out[-1] == (103, {"event_id": "c2", "user_id": "u1", "type": "view", "ts": "1795773600000",
                             "item_id": "i1"})


def test_gzip_bomb_reads_in_bounded_memory(tmp_path):
    """One 64 MB line in a small .gz: skipped in pieces, its neighbours read, peak RSS small.

    tests/integration/test_bad_input.py runs the 300 MB version through the whole CLI."""
    p = tmp_path / "bomb.jsonl.gz"
    with gzip.open(p, "wb", compresslevel=6) as f:
        f.write(b'{"n": 1}\n{"x": "')
        block = b"0" * (1 << 20)
        for _ in range(64):
            f.write(block)
        f.write(b'"}\n{"n": 3}\n')
    assert p.stat().st_size < 500_000
    code = ("import json, sys\nfrom pathlib import Path\nfrom ingest.sources import read_records, Rejection\n"
            "out = [(n, r.reason if isinstance(r, Rejection) else r) for n, r in read_records(Path(sys.argv[1]))]\n"
            "print(json.dumps(out))\n"
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n")
    proc = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[3])
    out, hwm_kb = proc.stdout.splitlines()
    assert json.loads(out) == [[1, {"n": 1}], [2, "line is longer than 65536 bytes"], [3, {"n": 3}]]
    assert int(hwm_kb) < 200 * 1024, f"peak RSS {int(hwm_kb) // 1024} MB"  # the child's own peak (VmHWM)


def test_corrupt_gzip_rejects_the_rest_and_keeps_what_was_read(tmp_path):
    whole = gzip.compress(b'{"a": 1}\n' * 1000)
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(whole[: len(whole) // 2] + b"\x00garbage" * 10)
    out = list(read_records(p))
    assert isinstance(out[-1][1], Rejection) and "the rest of the file cannot be read" in out[-1][1].reason
    assert all(r == {"a": 1} for _, r in out[:-1])


# --- the metadata clamp --------------------------------------------------------------------

def test_future_dated_metadata_counts_as_now_within_a_batch():
    def meta(n: int, ts: int, title: str) -> Event:
        return parse_record({"event_id": f"e{n}", "user_id": "u", "type": "view", "ts": ts, "item_id": "i",
                             "item": {"title": title, "price": float(n)}}, NOW)

    ahead = meta(1, NOW + 20 * 3_600_000, "HIJACKED")
    real = meta(2, NOW, "Real title")
    rows = [{"id": "i", "title": "HIJACKED", "price": 1.0, "meta_ms": ahead.ts_ms, "categories": [],
             "categories_ms": None}]
    clamp_item_metadata(rows, [ahead, real], NOW)
    # Both count as NOW; the tie goes to the later event in the batch, as aggregate's rule says.
    assert rows[0] == {"id": "i", "title": "Real title", "price": 2.0, "meta_ms": NOW, "categories": [],
                       "categories_ms": None}
    untouched = [{"id": "i", "title": "x", "price": None, "meta_ms": NOW - 5, "categories": [],
                  "categories_ms": None}]
    clamp_item_metadata(untouched, [meta(3, NOW - 5, "x")], NOW)
    assert untouched[0]["meta_ms"] == NOW - 5


def test_a_future_dated_category_set_counts_as_now_too():
    def cats(n: int, ts: int, names: list[str]) -> Event:
        return parse_record({"event_id": f"e{n}", "user_id": "u", "type": "view", "ts": ts, "item_id": "i",
                             "item": {"category": names}}, NOW)

    ahead, real = cats(1, NOW + 20 * 3_600_000, ["hijacked"]), cats(2, NOW, ["real"])
    rows = [{"id": "i", "title": None, "price": None, "meta_ms": ahead.ts_ms, "categories": ["hijacked"],
             "categories_ms": ahead.ts_ms}]
    clamp_item_metadata(rows, [ahead, real], NOW)
    assert rows[0]["categories"] == ["real"] and rows[0]["categories_ms"] == NOW


# --- properties ----------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20)
FIELDS = ["event_id", "user_id", "type", "ts", "item_id", "query", "text", "rating", "item"]
near_values = (json_values | st.sampled_from(["view", "click", "cart", "purchase", "search", "review"])
               | st.integers(min_value=1_700_000_000_000, max_value=1_800_000_000_000)
               | st.sampled_from(["2026-11-27T10:00:00Z", "2016-12-31T23:59:60Z", "1795773600000", "5", "1e0"])
               | st.fixed_dictionaries({}, optional={"title": json_values, "category": json_values,
                                                     "price": json_values}))
near_records = st.dictionaries(st.sampled_from(FIELDS), near_values, max_size=9)


@FEW
@given(st.binary(max_size=512))
def test_decode_json_record_on_any_bytes(raw):
    out = decode_json_record(raw, "prop", 1)
    assert isinstance(out, dict | Rejection)
    if isinstance(out, Rejection):
        json.dumps(out.as_dict(), ensure_ascii=False).encode("utf-8")


@FEW
@given(st.text(max_size=256))
def test_decode_json_record_on_any_text(text):
    assert isinstance(decode_json_record(text, "prop", 1), dict | Rejection)


@FEW
@given(json_values)
def test_decode_json_record_round_trips_what_json_dumps_writes(value):
    out = decode_json_record(json.dumps(value, allow_nan=True), "prop", 1)
    if isinstance(out, Rejection):
        assert any(why in out.reason for why in ("longer than 40 characters", "not a JSON value", "out of range",
                                                 "must be a JSON object")), out.reason
    else:
        assert out == value


@FEW
@given(json_values)
def test_parse_record_raises_only_invalid_event(value):
    try:
        assert isinstance(parse_record(value, NOW), Event)
    except InvalidEvent as e:
        str(e).encode("utf-8")  # the reason is writable


@FEW
@given(near_records)
def test_parse_record_on_near_valid_records(rec):
    try:
        ev = parse_record(rec, NOW)
    except InvalidEvent as e:
        str(e).encode("utf-8")
        return
    for s in (ev.event_id, ev.user_id, ev.item_id, ev.query, ev.text):
        if s is not None:
            s.encode("utf-8")


@FEW
@given(st.lists(st.binary(max_size=80) | st.sampled_from([b"\xef\xbb\xbf", b'"', b"\r\n", b"[[[[", b'{"a":1}']),
                max_size=12), st.sampled_from(["x.jsonl", "x.csv", "x.jsonl.gz", "x.csv.gz"]))
def test_file_readers_on_any_bytes_yield_records_or_rejections(chunks, name):
    data = b"".join(chunks)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        header = b"event_id,user_id,type,ts,item_id,text\n" if ".csv" in name else b""
        body = header + data
        p.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
        lines = []
        try:
            for line, rec in read_records(p):
                assert isinstance(rec, dict | Rejection)
                lines.append(line)
                if isinstance(rec, Rejection):
                    json.dumps(rec.as_dict(), ensure_ascii=False).encode("utf-8")
                else:
                    try:
                        parse_record(rec, NOW)
                    except InvalidEvent:
                        pass
        except InputError:
            assert ".csv" in name  # only a CSV header can refuse a whole file
        assert lines == sorted(set(lines))


@FEW
@given(st.integers(min_value=1, max_value=80))
def test_depth_cap_is_exact(depth):
    text = "[" * depth + "]" * depth
    if depth <= MAX_DEPTH:
        check_depth(text)
        assert loads(text) is not None
    else:
        with pytest.raises(ValueError, match="nests deeper"):
            loads(text)


def test_csv_output_neutralises_formulas_in_text_cells_only():
    from cli.output import csv_text

    for cell in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_text(cell) == "'" + cell
    assert csv_text("蓝牙 = good") == "蓝牙 = good" and csv_text("") == ""
