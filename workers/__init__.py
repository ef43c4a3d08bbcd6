"""Celery workers: ``celery -A workers worker -Q ingest,nlp,gnn``.

The app, its queues and the beat schedule are in :mod:`workers.celery_app`; tasks are thin
wrappers in :mod:`workers.tasks` that call into ``ingest`` and ``gnn``.
"""

from workers.celery_app import app

__all__ = ["app"]
