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


def test_secrets_come_from_the_environment_or_a_file(tmp_path):
    from interestgraph.settings import read_secret

    (tmp_path / "pw").write_text("from-a-file\n")
    assert read_secret({"X": "direct", "X_FILE": str(tmp_path / "pw")}, "X") == "direct"
    assert read_secret({"X_FILE": str(tmp_path / "pw")}, "X") == "from-a-file"
    assert read_secret({}, "X") == ""
    with pytest.raises(ConfigError, match="X_FILE names"):
        read_secret({"X_FILE": str(tmp_path / "missing")}, "X")
    s = Settings.from_env({"NEO4J_PASSWORD_FILE": str(tmp_path / "pw"), "REDIS_PASSWORD": "r3dis-pw"})
    assert s.neo4j_password.reveal() == "from-a-file" and s.redis_password.reveal() == "r3dis-pw"
    assert "r3dis" not in repr(s)


def test_urls_take_a_password_in_memory_and_lose_it_for_display():
    from interestgraph.settings import redact_url, with_password

    assert with_password("redis://localhost:6379/0", "p@ss/word") == "redis://:p%40ss%2Fword@localhost:6379/0"
    assert with_password("redis://:own@h:1/0", "other") == "redis://:own@h:1/0"
    assert with_password("redis://h:1/0", "") == "redis://h:1/0"
    assert redact_url("redis://:secret@h:1/0") == "redis://***@h:1/0"
    assert redact_url("redis://user:secret@h:1/0/events") == "redis://***@h:1/0/events"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"
