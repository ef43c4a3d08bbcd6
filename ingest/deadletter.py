"""Dead letters: every rejected line, with where it was and why, appended as JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from ingest.sources import Rejection


class DeadLetters:
    """Appends rejections to ``path``; the file is created only when something is rejected."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._handle: IO[str] | None = None

    def add(self, rejection: Rejection) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8")
        self._handle.write(json.dumps(rejection.as_dict(), ensure_ascii=False) + "\n")
        # Flushed per line: a crash after this point must not lose the reason.
        self._handle.flush()
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> DeadLetters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
