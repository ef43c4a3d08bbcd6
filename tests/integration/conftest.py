"""Integration fixtures: the real local Neo4j, Redis and Celery worker that `make services`
(or `.ci/run`) started. Nothing here is mocked; if a service is down the tests fail."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.streams import StreamConsumer
from interestgraph.graph import open_driver, read
from interestgraph.schema import apply
from interestgraph.settings import Settings
from textenc.encoders import model_dim, text_model_dir
from workers.beats import beat_conflict


@pytest.fixture(scope="session")
def settings() -> Settings:
    found = Settings.from_env()
    conflict = beat_conflict(found.home)
    if conflict is not None:
        # Its scheduled refresh of the whole database moves the tests' nodes between their steps.
        pytest.exit(f"the integration tests schedule their own refreshes, and {conflict}", returncode=3)
    return found


@pytest.fixture(scope="session")
def driver(settings):
    drv = open_driver(settings)
    drv.verify_connectivity()
    apply(drv, settings, model_dim(text_model_dir()))
    yield drv
    drv.close()


@pytest.fixture
def prefix() -> str:
    """A unique id prefix, so every test owns its users, items and categories."""
    return f"t{uuid.uuid4().hex[:10]}-"


def write_jsonl(path: Path, records: list) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


@pytest.fixture
def events_file(tmp_path) -> Iterator:
    def make(records: list, name: str = "events.jsonl") -> Path:
        return write_jsonl(tmp_path / name, records)

    yield make


class CrashBeforeAck(StreamConsumer):
    """A consumer that dies after its Neo4j commit and before acknowledging the entries."""

    def poll(self):  # type: ignore[override]
        self.client.xack = lambda *a, **k: (_ for _ in ()).throw(ConnectionError("worker died"))
        return super().poll()


def totals(driver, settings, prefix: str) -> dict[str, dict[str, float]]:
    """Per behaviour type: relationships, events and summed weight of one id namespace."""
    return {r["type"]: {"rels": r["rels"], "events": r["events"], "weight": r["weight"]}
            for r in read(driver, settings, "bench/namespace_totals", prefix=prefix)}
