"""Structured logging for library code: the library logs, the CLI prints.

Library modules take ``log = logging.getLogger(__name__)`` and pass the numbers of a
message as fields::

    log.info("batch written", extra={"events": n, "ms": round(t * 1000, 1)})

:func:`configure` (called once by the CLI, with ``Settings.log_level``) installs one handler
on the root logger whose formatter renders those fields as ``key=value`` pairs, or as one
JSON object per line. Celery workers keep Celery's handlers (its ``--logfile`` and
``--loglevel``) and only get this formatter (see ``workers/celery_app.py``).

Field values that are URLs lose their credentials on the way out (:func:`redact_url`), and
``SecretStr`` values render as ``**********``: a log line never carries a password.
"""

from __future__ import annotations

import json as _json
import logging
import sys
from typing import IO, Any

from interestgraph.errors import ConfigError
from interestgraph.settings import redact_url

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 1, "x", None, None))) | {
    "message", "asctime", "taskName",
}
_MARK = "_interestgraph_handler"


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra=`` fields of ``record``, in the order they were given."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _safe(value: Any) -> Any:
    if isinstance(value, str) and "://" in value and "@" in value:
        return redact_url(value)
    return value


def _render(value: Any) -> str:
    value = _safe(value)
    if isinstance(value, bool) or value is None:
        return _json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if text == "" or any(c.isspace() or c in '="\\' for c in text):
        return _json.dumps(text, ensure_ascii=False)
    return text


class KeyValueFormatter(logging.Formatter):
    """``2025-01-01 12:00:00,123 INFO ingest.streams: batch written events=500 ms=41.2``."""

    def __init__(self, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt: str | None = None):
        super().__init__(fmt, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        """The standard line with the record's extra fields appended as ``key=value`` pairs."""
        line = super().format(record)
        extra = fields(record)
        if not extra:
            return line
        head, sep, tail = line.partition("\n")  # a traceback stays below the fields
        pairs = " ".join(f"{k}={_render(v)}" for k, v in extra.items())
        return f"{head} {pairs}{sep}{tail}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg``, the fields, ``exc`` on errors."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object on one line."""
        out: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in fields(record).items():
            out.setdefault(k, _safe(v))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return _json.dumps(out, ensure_ascii=False, default=str)


def level_number(level: str | int) -> int:
    """``"info"``/``"INFO"``/``20`` -> 20; anything else is a :class:`ConfigError`."""
    if isinstance(level, int):
        return level
    name = level.strip().upper()
    if name not in LEVELS:
        raise ConfigError(f"log level must be one of {LEVELS}, got {level!r}")
    return logging.getLevelNamesMapping()[name]


def configure(level: str | int = "WARNING", json: bool = False, stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger's records at ``level`` and above to ``stream`` (default stderr).

    Idempotent: a second call replaces the handler the first one installed, and leaves
    handlers that others installed alone. Returns the handler.
    """
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _MARK, False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if json else KeyValueFormatter())
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level_number(level))
    return handler


def use_formatter(logger: logging.Logger, json: bool = False) -> None:
    """Give the handlers someone else installed on ``logger`` (Celery's) this module's formatter."""
    for h in logger.handlers:
        h.setFormatter(JsonFormatter() if json else KeyValueFormatter())
