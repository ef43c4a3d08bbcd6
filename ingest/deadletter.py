"""Dead letters: every rejected line, with where it was and why, appended as JSON Lines.

The file rotates when it passes ``MAX_BYTES`` (``dead-letter.jsonl`` → ``.1`` → … ``.KEEP``;
the oldest is dropped), so a producer that sends only garbage cannot fill the disk.
Credentials never reach it: stream sources are named without them. The files are created 0600.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from ingest.sources import Rejection

MAX_BYTES = 64 * 1024 * 1024
KEEP = 5


class DeadLetters:
    """Appends rejections to ``path``; the file is created only when something is rejected."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, keep: int = KEEP) -> None:
        self.path = path
        self.count = 0
        self.max_bytes = max_bytes
        self.keep = keep
        self._handle: IO[str] | None = None

    def _rotate(self) -> None:
        self.close()
        for n in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{n + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    def add(self, rejection: Rejection) -> None:
        """Append one rejected line with its reason, rotating the file when it is full; flushed at once."""
        if self._handle is not None and self._handle.tell() >= self.max_bytes:
            self._rotate()
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size >= self.max_bytes:
                self._rotate()
            # 0600: rejected lines are raw producer data (ids, review texts).
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._handle = os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")
        self._handle.write(json.dumps(rejection.as_dict(), ensure_ascii=False) + "\n")
        # Flushed per line: a crash after this point must not lose the reason.
        self._handle.flush()
        self.count += 1

    def close(self) -> None:
        """Close the file (the next ``add`` reopens it)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> DeadLetters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
