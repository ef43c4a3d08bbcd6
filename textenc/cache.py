"""Vectors cached by content hash, so the same title, query or review is never encoded twice.

A small SQLite file under ``$INTERESTGRAPH_HOME/cache``: shared by the CLI and every
worker on the machine (WAL mode), survives restarts, and keys include the model id so a
new model never serves an old model's vectors.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textenc.encoders import TextEncoder


def text_key(text: str) -> bytes:
    """The cache key of a text: the SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class VectorCache:
    """Vectors keyed by (model id, text key) in one SQLite file, safe to share between threads and processes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The texts' vectors are the shop's data: owner only (SQLite gives its -wal and -shm
            # files the database file's mode).
            self.path.touch(mode=0o600, exist_ok=True)
            if self.path.stat().st_mode & 0o077:
                self.path.chmod(0o600)
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, "
                         "vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID")
        self._lock = threading.Lock()

    def get_many(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The stored vectors among ``keys`` for ``model``; a key with none is absent from the result."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
                chunk = list(keys[start:start + 500])
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(
                        f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})",  # noqa: S608
                        [model, *chunk]):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        """Store ``(key, vector)`` pairs for ``model`` as float32, replacing any already there."""
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)",
                                 [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items])

    def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()


class CachedEncoder:
    """A :class:`TextEncoder` that consults the cache first and encodes only the misses (once each)."""

    def __init__(self, inner: TextEncoder, cache: VectorCache) -> None:
        self.inner = inner
        self.cache = cache
        self.hits = 0
        self.misses = 0

    @property
    def model_id(self) -> str:
        """The inner encoder's id (cache keys include it)."""
        return self.inner.model_id

    @property
    def dim(self) -> int:
        """The inner encoder's vector size."""
        return self.inner.dim

    @property
    def related_cosine(self) -> float:
        """The inner encoder's relatedness threshold, else the default."""
        from textenc.encoders import DEFAULT_RELATED_COSINE

        return float(getattr(self.inner, "related_cosine", DEFAULT_RELATED_COSINE))

    @property
    def hit_rate(self) -> float:
        """Hits over lookups so far (0 before any)."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of ``texts``, cached ones read and the rest encoded once and stored."""
        keys = [text_key(t) for t in texts]
        found = self.cache.get_many(self.model_id, list(dict.fromkeys(keys)))
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in found:
                todo.setdefault(k, t)
        # A text repeated within one call is encoded once: its repeats count as hits.
        self.misses += len(todo)
        self.hits += len(texts) - len(todo)
        if todo:
            fresh = self.inner.encode(list(todo.values()))
            new = list(zip(todo.keys(), fresh, strict=True))
            self.cache.put_many(self.model_id, new)
            found.update(new)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out
