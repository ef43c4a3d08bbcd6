import gzip
import json

import pytest

from ingest.sources import Rejection, read_records
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
