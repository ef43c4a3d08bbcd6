"""Which Celery beats started by ``make beat`` are alive, from their pid files.

One beat per system: a second one (``bench freshness`` starts its own, scoped to its
namespace) doubles every scheduled refresh, and the two fight over the same nodes' locks.
Measured: at 1,000 events/s the freshness p95 was 5.1 s with the development beat running
beside the benchmark's, 1.6 s without it. The tests start their refreshes themselves, and a
scheduled refresh of the whole database touches their nodes between their steps.
"""

from __future__ import annotations

from pathlib import Path


def live_beats(home: Path) -> list[tuple[Path, int]]:
    """``(pid file, pid)`` of every beat under ``home/run`` whose process still runs a beat."""
    found = []
    for pidfile in sorted((home / "run").glob("beat*.pid")):
        try:
            pid = int(pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError):
            continue  # a stale pid file, or a process gone meanwhile
        if b"celery" in cmdline and b"beat" in cmdline:
            found.append((pidfile, pid))
    return found


def beat_conflict(home: Path) -> str | None:
    """Why a run that schedules its own refreshes must not start now, or None."""
    beats = live_beats(home)
    if not beats:
        return None
    names = ", ".join(f"pid {pid} ({pidfile.name})" for pidfile, pid in beats)
    return (f"a Celery beat is running ({names}): it refreshes the whole database, so this run would "
            "measure two refresh loops racing for the same nodes; stop it with `make beat-stop` "
            "(`make beat` starts it again)")
