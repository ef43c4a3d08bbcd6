import json

from ingest.deadletter import DeadLetters
from ingest.sources import Rejection


def test_dead_letters_rotate_and_keep_a_bounded_number_of_files(tmp_path):
    path = tmp_path / "dead.jsonl"
    with DeadLetters(path, max_bytes=1000, keep=3) as dead:
        for n in range(100):
            dead.add(Rejection("f", n, "bad", "x" * 100))
    assert dead.count == 100
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["dead.jsonl", "dead.jsonl.1", "dead.jsonl.2", "dead.jsonl.3"]
    assert all(p.stat().st_size <= 1000 + 200 for p in tmp_path.iterdir())
    # The newest rejection is in the live file, and every line is whole JSON.
    assert json.loads(path.read_text().splitlines()[-1])["line"] == 99
    for p in tmp_path.iterdir():
        for line in p.read_text().splitlines():
            json.loads(line)


def test_a_lone_surrogate_in_a_rejected_line_is_still_written(tmp_path):
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        dead.add(Rejection("f", 1, "bad", "title \ud800"))
    assert json.loads((tmp_path / "dead.jsonl").read_text())["line"] == 1


def test_dead_letters_are_readable_by_their_owner_only(tmp_path):
    import os

    from ingest.deadletter import DeadLetters
    from ingest.sources import Rejection

    old = os.umask(0o022)  # a shell's usual umask would make the file 0644
    try:
        with DeadLetters(tmp_path / "dead.jsonl") as dead:
            dead.add(Rejection("s", 1, "bad", "raw producer data"))
    finally:
        os.umask(old)
    assert (tmp_path / "dead.jsonl").stat().st_mode & 0o777 == 0o600
