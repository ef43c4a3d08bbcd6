"""The Celery app: Redis broker, three queues, routing by task name, the beat schedule.

Queues: ``ingest`` (event files and streams), ``nlp`` (text encoding), ``gnn``
(embedding refresh and the user-index sync; give it the GPU workers), ``similar`` (SIMILAR_TO
upkeep: graph work only, slow and best-effort, so it never delays the per-second refresh and
index sync on a ``gnn`` worker). The configuration is built from one
:class:`~interestgraph.settings.Settings` read at import without the Neo4j password
(:meth:`Settings.without_graph`), so Flower and beat start without Neo4j credentials; a
malformed variable stops the import with a :class:`ConfigError` that names it.

Logging: Celery keeps its own handlers (``--logfile``, ``--loglevel``); their formatter becomes
:class:`interestgraph.logs.KeyValueFormatter`, so library log lines carry their fields.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import after_setup_logger
from kombu import Queue
from pydantic import SecretStr
from redis.credentials import CredentialProvider

from interestgraph import logs
from interestgraph.settings import Settings, with_password

QUEUES = ("ingest", "nlp", "gnn", "similar")


class RedisPassword(CredentialProvider):
    """Hands the Redis password (``REDIS_PASSWORD(_FILE)``) to each result-backend connection."""

    def __init__(self, password: SecretStr) -> None:
        self._password = password

    def get_credentials(self) -> tuple[str]:
        """The password alone, for Redis's default user; asked for on each new connection."""
        return (self._password.get_secret_value(),)


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """Periodic work: refresh, the user-index sync, the text pass, ledger pruning, similar users, and a
    stream to drain."""
    refresh_s, text_s = settings.refresh_every_s, settings.text_every_s
    scope = {"prefix": settings.beat_prefix} if settings.beat_prefix else {}
    return {
        "refresh-dirty": {
            "task": "interestgraph.gnn.refresh",
            "schedule": refresh_s,
            "kwargs": {"max_batches": 4, **scope},
            # A refresh that could not start in time is superseded by the next one.
            "options": {"expires": refresh_s * 3},
        },
        # Fresh user vectors into the vector index (coalesced, in bulk): the index's lag.
        "sync-user-index": {
            "task": "interestgraph.gnn.sync_user_index",
            "schedule": refresh_s,
            "kwargs": scope,
            "options": {"expires": refresh_s * 3},
        },
        "text-pass": {
            "task": "interestgraph.nlp.text_pass",
            "schedule": text_s,
            "kwargs": {"max_rounds": 4},
            "options": {"expires": text_s * 3},
        },
        "prune-ledger": {
            "task": "interestgraph.ingest.prune_ledger",
            "schedule": 3600.0,
            "kwargs": {"days": settings.ledger_days},
            "options": {"expires": 1800.0},
        },
        "refresh-similar": {
            "task": "interestgraph.gnn.similar",
            "schedule": 5.0,
            "kwargs": scope,
            "options": {"expires": 15.0},
        },
        # A Redis stream to consume on the ingest queue, e.g. redis://redis:6379/0/events.
        **({"drain-stream": {
            "task": "interestgraph.ingest.drain_stream",
            "schedule": 5.0,
            "kwargs": {"max_seconds": 5.0},  # the task drains settings.stream_url, never a URL it is sent
            "options": {"expires": 5.0},
        }} if settings.stream_url else {}),
    }


def config(settings: Settings) -> dict[str, Any]:
    """The app's configuration (``app.conf``) for ``settings``."""
    broker = settings.broker_url
    return dict(
        broker_url=broker,
        # The broker's password lives only in memory: the read/write URLs win over CELERY_BROKER_URL
        # (which Celery would otherwise prefer to its config); Celery masks them in its banner.
        broker_read_url=with_password(broker, settings.redis_password),
        broker_write_url=with_password(broker, settings.redis_password),
        result_backend=settings.result_backend,
        redis_backend_credential_provider=(RedisPassword(settings.redis_password)
                                           if settings.redis_password.get_secret_value() else None),
        task_queues=[Queue(q) for q in QUEUES],
        task_default_queue="gnn",
        task_routes={
            "interestgraph.gnn.similar": {"queue": "similar"},  # before the gnn.* pattern
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
        beat_schedule=beat_schedule(settings),
    )


SETTINGS = Settings.without_graph()


@after_setup_logger.connect
def _key_value_logs(logger: Any, **_: Any) -> None:
    logs.use_formatter(logger)


app = Celery("interestgraph", include=["workers.tasks"])
app.conf.update(config(SETTINGS))
