"""The Celery app: Redis broker, three queues, routing by task name, the beat schedule.

Queues: ``ingest`` (event files and streams), ``nlp`` (text encoding), ``gnn``
(embedding refresh; give it the GPU workers). Only the broker settings are read at
import, so Flower and beat start without Neo4j credentials.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from kombu import Queue
from redis.credentials import CredentialProvider

from interestgraph.settings import redis_password, with_password

QUEUES = ("ingest", "nlp", "gnn")
REFRESH_EVERY_S = float(os.environ.get("INTERESTGRAPH_REFRESH_EVERY_S", "1.0"))
TEXT_EVERY_S = float(os.environ.get("INTERESTGRAPH_TEXT_EVERY_S", "2.0"))
LEDGER_DAYS = float(os.environ.get("INTERESTGRAPH_LEDGER_DAYS", "30"))
# A Redis stream to consume on the ingest queue, e.g. redis://redis:6379/0/events.
STREAM_URL = os.environ.get("INTERESTGRAPH_STREAM_URL", "")

_broker = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")


class RedisPassword(CredentialProvider):
    """Hands the Redis password (``REDIS_PASSWORD(_FILE)``) to each result-backend connection."""

    def get_credentials(self) -> tuple[str]:
        return (redis_password(),)


_auth: dict[str, Any] = {"credential_provider": RedisPassword()} if redis_password() else {}

app = Celery("interestgraph", include=["workers.tasks"])
app.conf.update(
    broker_url=_broker,
    # The broker's password lives only in memory: the read/write URLs win over CELERY_BROKER_URL
    # (which Celery would otherwise prefer to its config); Celery masks them in its banner.
    broker_read_url=with_password(_broker, redis_password()),
    broker_write_url=with_password(_broker, redis_password()),
    result_backend=os.environ.get("CELERY_RESULT_BACKEND", _broker),
    redis_backend_credential_provider=_auth.get("credential_provider"),
    task_queues=[Queue(q) for q in QUEUES],
    task_default_queue="gnn",
    task_routes={
        "interestgraph.ingest.*": {"queue": "ingest"},
        "interestgraph.nlp.*": {"queue": "nlp"},
        "interestgraph.gnn.*": {"queue": "gnn"},
    },
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Tasks are idempotent (ledger, leases), so redelivery after a crash is safe.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": 3600},
    worker_hijack_root_logger=False,
    beat_schedule={
        "refresh-dirty": {
            "task": "interestgraph.gnn.refresh",
            "schedule": REFRESH_EVERY_S,
            "kwargs": {"max_batches": 4},
            # A refresh that could not start in time is superseded by the next one.
            "options": {"expires": REFRESH_EVERY_S * 3},
        },
        "text-pass": {
            "task": "interestgraph.nlp.text_pass",
            "schedule": TEXT_EVERY_S,
            "kwargs": {"max_rounds": 4},
            "options": {"expires": TEXT_EVERY_S * 3},
        },
        "prune-ledger": {
            "task": "interestgraph.ingest.prune_ledger",
            "schedule": 3600.0,
            "options": {"expires": 1800.0},
        },
        "refresh-similar": {
            "task": "interestgraph.gnn.similar",
            "schedule": 5.0,
            "options": {"expires": 15.0},
        },
        **({"drain-stream": {
            "task": "interestgraph.ingest.drain_stream",
            "schedule": 5.0,
            "kwargs": {"url": STREAM_URL, "max_seconds": 5.0},
            "options": {"expires": 5.0},
        }} if STREAM_URL else {}),
    },
)
