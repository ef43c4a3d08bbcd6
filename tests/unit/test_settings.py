import pytest

from interestgraph.errors import ConfigError
from interestgraph.settings import Secret, Settings


def test_password_is_required_and_never_printed():
    with pytest.raises(ConfigError, match="NEO4J_PASSWORD is not set"):
        Settings.from_env({})
    s = Settings.from_env({"NEO4J_PASSWORD": "hunter2-secret"})
    assert "hunter2" not in repr(s) and "hunter2" not in str(s)
    assert s.neo4j_password.reveal() == "hunter2-secret"
    assert s.result_backend == s.broker_url == "redis://localhost:6379/0"


def test_device_and_half_life_are_validated():
    with pytest.raises(ConfigError, match="INTERESTGRAPH_DEVICE must be one of"):
        Settings.from_env({"NEO4J_PASSWORD": "x" * 8, "INTERESTGRAPH_DEVICE": "tpu"})
    with pytest.raises(ConfigError, match="INTERESTGRAPH_HALF_LIFE_DAYS must be a positive number"):
        Settings.from_env({"NEO4J_PASSWORD": "x" * 8, "INTERESTGRAPH_HALF_LIFE_DAYS": "-1"})
    s = Settings.from_env({"NEO4J_PASSWORD": "x" * 8, "INTERESTGRAPH_HALF_LIFE_DAYS": "1"})
    assert s.half_life_ms == 86_400_000.0


def test_secret_equality_without_exposure():
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert repr(Secret("")) == "Secret('')"
