"""A running beat is found from its pid file; stale and foreign pid files are not beats."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workers.beats import beat_conflict, live_beats


def test_no_run_dir_no_beat(tmp_path: Path) -> None:
    assert live_beats(tmp_path) == []
    assert beat_conflict(tmp_path) is None


def test_live_beat_found_and_stale_or_foreign_ignored(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    # A process whose command line reads like a beat's (argv only; it just sleeps).
    beat = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "celery", "beat"])
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (run / "beat.pid").write_text(f"{beat.pid}\n")
        (run / "beat-6390.pid").write_text("999999999\n")  # no such process
        (run / "beat-6391.pid").write_text(f"{other.pid}\n")  # alive, but not a beat
        (run / "beat-6392.pid").write_text("not a pid")
        (run / "worker.pid").write_text(f"{beat.pid}\n")  # not a beat's pid file
        assert live_beats(tmp_path) == [(run / "beat.pid", beat.pid)]
        message = beat_conflict(tmp_path)
        assert message is not None and f"pid {beat.pid}" in message and "make beat-stop" in message
    finally:
        beat.kill()
        other.kill()
        beat.wait()
        other.wait()
    assert live_beats(tmp_path) == []
