import io
import json
import logging

import pytest

from interestgraph import logs
from interestgraph.errors import ConfigError


@pytest.fixture
def captured():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    out = io.StringIO()
    yield out
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def test_key_value_lines_carry_the_extra_fields(captured):
    logs.configure("INFO", stream=captured)
    log = logging.getLogger("ingest.test")
    log.info("batch written", extra={"events": 500, "ms": 41.2, "stream": "a b", "ok": True})
    log.debug("not shown", extra={"x": 1})
    line = captured.getvalue().strip()
    assert "\n" not in line
    assert line.endswith('INFO ingest.test: batch written events=500 ms=41.2 stream="a b" ok=true')


def test_json_lines_are_one_object_each(captured):
    logs.configure("debug", json=True, stream=captured)
    logging.getLogger("gnn.test").warning("slow %s", "refresh", extra={"users": 3, "path": object()})
    doc = json.loads(captured.getvalue())
    assert doc["level"] == "WARNING" and doc["logger"] == "gnn.test" and doc["msg"] == "slow refresh"
    assert doc["users"] == 3 and doc["path"].startswith("<object")


def test_configure_is_idempotent_and_validates_the_level(captured):
    logs.configure("INFO", stream=captured)
    logs.configure("INFO", stream=captured)
    logging.getLogger("x").info("once")
    assert captured.getvalue().count("once") == 1
    with pytest.raises(ConfigError, match="log level must be one of"):
        logs.configure("LOUD")


def test_tracebacks_stay_below_the_fields(captured):
    logs.configure("INFO", stream=captured)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("x").exception("failed", extra={"n": 2})
    first, rest = captured.getvalue().split("\n", 1)
    assert first.endswith("failed n=2") and "RuntimeError: boom" in rest


def test_credentials_never_reach_a_log_line(captured):
    logs.configure("INFO", stream=captured)
    logging.getLogger("x").info("following", extra={"url": "redis://:hunter2@h:6379/0/events"})
    assert "hunter2" not in captured.getvalue() and "redis://***@h:6379/0/events" in captured.getvalue()


def test_settings_logged_whole_keep_their_secrets(captured):
    from interestgraph.settings import Settings

    s = Settings.from_env({"NEO4J_PASSWORD": "hunter2-neo", "REDIS_PASSWORD": "hunter2-redis",
                           "CELERY_BROKER_URL": "redis://:hunter2-url@b:1/0"})
    logs.configure("INFO", stream=captured)
    log = logging.getLogger("x")
    log.info("settings %r", s, extra={"settings": s, "password": s.neo4j_password, "broker": s.broker_url})
    logs.configure("INFO", json=True, stream=captured)
    log.info("settings %s", s, extra={"settings": s, "password": s.redis_password, "broker": s.broker_url})
    out = captured.getvalue()
    assert "hunter2" not in out and "**********" in out and "redis://***@b:1/0" in out
