from pathlib import Path

import pytest
from pydantic import SecretStr

from interestgraph.errors import ConfigError
from interestgraph.settings import Settings

PW = {"NEO4J_PASSWORD": "x" * 8}


def test_password_is_required_and_never_printed():
    with pytest.raises(ConfigError, match="NEO4J_PASSWORD is not set"):
        Settings.from_env({})
    s = Settings.from_env({"NEO4J_PASSWORD": "hunter2-secret"})
    assert "hunter2" not in repr(s) and "hunter2" not in str(s)
    assert isinstance(s.neo4j_password, SecretStr)
    assert s.neo4j_password.get_secret_value() == "hunter2-secret"
    assert s.result_backend == s.broker_url == "redis://localhost:6379/0"


def test_an_explicit_mapping_ignores_the_process_environment(monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "from-the-process")
    monkeypatch.setenv("INTERESTGRAPH_DEVICE", "tpu")
    with pytest.raises(ConfigError, match="NEO4J_PASSWORD is not set"):
        Settings.from_env({})
    assert Settings.without_graph({}).device == "auto"
    monkeypatch.setenv("INTERESTGRAPH_DEVICE", "cpu")
    assert Settings.from_env().neo4j_password.get_secret_value() == "from-the-process"
    assert Settings.from_env().device == "cpu"


def test_device_and_half_life_are_validated():
    with pytest.raises(ConfigError, match="INTERESTGRAPH_DEVICE must be one of"):
        Settings.from_env({**PW, "INTERESTGRAPH_DEVICE": "tpu"})
    with pytest.raises(ConfigError, match="INTERESTGRAPH_HALF_LIFE_DAYS must be a positive number"):
        Settings.from_env({**PW, "INTERESTGRAPH_HALF_LIFE_DAYS": "-1"})
    s = Settings.from_env({**PW, "INTERESTGRAPH_HALF_LIFE_DAYS": "1"})
    assert s.half_life_ms == 86_400_000.0


def test_the_defaults(monkeypatch):
    monkeypatch.setenv("HOME", "/home/someone")
    s = Settings.without_graph({})
    assert (s.neo4j_uri, s.neo4j_user, s.neo4j_database) == ("bolt://localhost:7687", "neo4j", "neo4j")
    assert s.neo4j_password.get_secret_value() == "" and s.redis_password.get_secret_value() == ""
    assert s.device == "auto" and s.embedding_dim == 64 and s.half_life_days == 14.0
    assert (s.refresh_every_s, s.text_every_s, s.ledger_days, s.stream_url) == (1.0, 2.0, 30.0, "")
    assert s.text_model == "" and s.sentiment_model is None and s.log_level == "WARNING"
    assert s.home == Path("/home/someone/.local/share/interestgraph")
    assert s.models_dir == Path("/home/someone/.cache/interestgraph/models")


def test_every_variable_is_read(tmp_path):
    env = {
        "NEO4J_URI": "neo4j+s://db.example:7687", "NEO4J_USER": "ana", "NEO4J_PASSWORD": "pw-neo4j-1",
        "NEO4J_DATABASE": "shop", "CELERY_BROKER_URL": "redis://broker:6380/2",
        "CELERY_RESULT_BACKEND": "redis://results:6381/3", "REDIS_PASSWORD": "pw-redis-1",
        "INTERESTGRAPH_DEVICE": "cuda", "INTERESTGRAPH_HOME": str(tmp_path / "home"),
        "INTERESTGRAPH_HALF_LIFE_DAYS": "7.5", "INTERESTGRAPH_REFRESH_EVERY_S": "0.5",
        "INTERESTGRAPH_TEXT_EVERY_S": "3", "INTERESTGRAPH_LEDGER_DAYS": "45",
        "INTERESTGRAPH_STREAM_URL": "redis://broker:6380/2/events", "INTERESTGRAPH_TEXT_MODEL": "minilm",
        "INTERESTGRAPH_SENTIMENT_MODEL": str(tmp_path / "review"), "INTERESTGRAPH_MODELS": str(tmp_path / "m"),
        "INTERESTGRAPH_LOG_LEVEL": "info", "INTERESTGRAPH_BEAT_PREFIX": "bench-",
    }
    s = Settings.from_env(env)
    assert (s.neo4j_uri, s.neo4j_user, s.neo4j_database) == ("neo4j+s://db.example:7687", "ana", "shop")
    assert s.neo4j_password.get_secret_value() == "pw-neo4j-1"
    assert (s.broker_url, s.result_backend) == ("redis://broker:6380/2", "redis://results:6381/3")
    assert s.redis_password.get_secret_value() == "pw-redis-1"
    assert s.device == "cuda" and s.home == tmp_path / "home" and s.half_life_days == 7.5
    assert (s.refresh_every_s, s.text_every_s, s.ledger_days) == (0.5, 3.0, 45.0)
    assert s.stream_url == "redis://broker:6380/2/events" and s.text_model == "minilm"
    assert s.sentiment_model == tmp_path / "review" and s.models_dir == tmp_path / "m"
    assert s.log_level == "INFO" and s.beat_prefix == "bench-"
    # The result backend follows the broker unless it is set itself; an empty value counts as unset.
    s = Settings.from_env({**PW, "CELERY_BROKER_URL": "redis://b:1/0", "CELERY_RESULT_BACKEND": "",
                           "INTERESTGRAPH_DEVICE": ""})
    assert s.result_backend == "redis://b:1/0" and s.device == "auto"


@pytest.mark.parametrize(("name", "value", "expect"), [
    ("NEO4J_URI", "localhost", "must be a Bolt or routing URI"),
    ("CELERY_BROKER_URL", "localhost:6379", "must be a broker URL"),
    ("CELERY_RESULT_BACKEND", "nowhere", "must be a result backend URL"),
    ("INTERESTGRAPH_DEVICE", "gpu", "must be one of"),
    ("INTERESTGRAPH_HALF_LIFE_DAYS", "0", "must be a positive number"),
    ("INTERESTGRAPH_REFRESH_EVERY_S", "soon", "must be a positive number"),
    ("INTERESTGRAPH_TEXT_EVERY_S", "-2", "must be a positive number"),
    ("INTERESTGRAPH_LEDGER_DAYS", "thirty", "must be a number of days, at least 1"),
    ("INTERESTGRAPH_LEDGER_DAYS", "0", "must be a number of days, at least 1"),
    ("INTERESTGRAPH_LEDGER_DAYS", "0.5", "must be a number of days, at least 1"),
    ("INTERESTGRAPH_STREAM_URL", "http://x/0/events", "must be a stream URL"),
    ("INTERESTGRAPH_LOG_LEVEL", "LOUD", "must be one of"),
])
def test_bad_values_name_their_variable(name, value, expect):
    with pytest.raises(ConfigError, match=rf"^{name} {expect}.*got '{value}'"):
        Settings.from_env({**PW, name: value})


def test_errors_never_show_a_secret():
    with pytest.raises(ConfigError) as e:
        Settings.from_env({**PW, "CELERY_BROKER_URL": "redis:/:hunter2@b:1/0"})
    assert "CELERY_BROKER_URL" in str(e.value) and "hunter2" not in str(e.value)
    with pytest.raises(ConfigError) as e:
        Settings.from_env({**PW, "INTERESTGRAPH_STREAM_URL": "http://:hunter2@b:1/0/events"})
    assert "INTERESTGRAPH_STREAM_URL" in str(e.value) and "hunter2" not in str(e.value)


def test_secrets_and_urls_with_credentials_stay_out_of_repr():
    s = Settings.from_env({"NEO4J_PASSWORD": "hunter2-neo", "REDIS_PASSWORD": "hunter2-redis",
                           "CELERY_BROKER_URL": "redis://:hunter2-url@b:1/0",
                           "INTERESTGRAPH_STREAM_URL": "redis://:hunter2-stream@b:1/0/events"})
    for text in (repr(s), str(s), f"{s}", repr(s.neo4j_password), str(s.redis_password)):
        assert "hunter2" not in text
    assert "redis://***@b:1/0" in repr(s)
    # Only the values themselves hold them, for the clients.
    assert s.broker_url == "redis://:hunter2-url@b:1/0"
    assert s.redis_password.get_secret_value() == "hunter2-redis"


def test_settings_are_frozen_and_keywords_win():
    s = Settings(neo4j_password="kw-password", device="cpu")
    assert s.neo4j_password.get_secret_value() == "kw-password" and s.device == "cpu"
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        s.device = "cuda"  # type: ignore[misc]


def test_secret_equality_without_exposure():
    assert SecretStr("a") == SecretStr("a") and SecretStr("a") != SecretStr("b")
    assert repr(SecretStr("")) == "SecretStr('')"


def test_secrets_come_from_the_environment_or_a_file(tmp_path):
    from interestgraph.settings import read_secret

    (tmp_path / "pw").write_text("from-a-file\n")
    assert read_secret({"X": "direct", "X_FILE": str(tmp_path / "pw")}, "X") == "direct"
    assert read_secret({"X_FILE": str(tmp_path / "pw")}, "X") == "from-a-file"
    assert read_secret({}, "X") == ""
    with pytest.raises(ConfigError, match="X_FILE names"):
        read_secret({"X_FILE": str(tmp_path / "missing")}, "X")
    s = Settings.from_env({"NEO4J_PASSWORD_FILE": str(tmp_path / "pw"), "REDIS_PASSWORD": "r3dis-pw"})
    assert s.neo4j_password.get_secret_value() == "from-a-file"
    assert s.redis_password.get_secret_value() == "r3dis-pw"
    assert "r3dis" not in repr(s)
    with pytest.raises(ConfigError, match="NEO4J_PASSWORD_FILE names"):
        Settings.from_env({"NEO4J_PASSWORD_FILE": str(tmp_path / "missing")})
    s = Settings.from_env({**PW, "REDIS_PASSWORD_FILE": str(tmp_path / "pw")})
    assert s.redis_password.get_secret_value() == "from-a-file"


def test_urls_take_a_password_in_memory_and_lose_it_for_display():
    from interestgraph.settings import redact_url, redis_password, with_password

    assert with_password("redis://localhost:6379/0", "p@ss/word") == "redis://:p%40ss%2Fword@localhost:6379/0"
    assert with_password("redis://localhost:6379/0", SecretStr("pw")) == "redis://:pw@localhost:6379/0"
    assert with_password("redis://:own@h:1/0", "other") == "redis://:own@h:1/0"
    assert with_password("redis://h:1/0", "") == "redis://h:1/0"
    assert redact_url("redis://:secret@h:1/0") == "redis://***@h:1/0"
    assert redact_url("redis://user:secret@h:1/0/events") == "redis://***@h:1/0/events"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"
    assert redis_password({"REDIS_PASSWORD": "r"}) == "r" and redis_password({}) == ""
    s = Settings.from_env({**PW, "REDIS_PASSWORD": "pw"})
    assert s.redis_url() == "redis://:pw@localhost:6379/0"


def test_celery_config_comes_from_settings():
    from workers.celery_app import config

    s = Settings.without_graph({"CELERY_BROKER_URL": "redis://b:1/0", "REDIS_PASSWORD": "hunter2",
                                "INTERESTGRAPH_REFRESH_EVERY_S": "0.25", "INTERESTGRAPH_TEXT_EVERY_S": "4",
                                "INTERESTGRAPH_LEDGER_DAYS": "9",
                                "INTERESTGRAPH_STREAM_URL": "redis://b:1/0/events"})
    conf = config(s)
    assert conf["broker_url"] == "redis://b:1/0" and conf["result_backend"] == "redis://b:1/0"
    assert conf["broker_read_url"] == conf["broker_write_url"] == "redis://:hunter2@b:1/0"
    assert conf["redis_backend_credential_provider"].get_credentials() == ("hunter2",)
    beat = conf["beat_schedule"]
    assert beat["refresh-dirty"]["schedule"] == 0.25 and beat["refresh-dirty"]["options"]["expires"] == 0.75
    assert beat["text-pass"]["schedule"] == 4.0 and beat["prune-ledger"]["kwargs"] == {"days": 9.0}
    assert "url" not in beat["drain-stream"]["kwargs"]  # the task drains settings.stream_url only
    assert beat["sync-user-index"]["task"] == "interestgraph.gnn.sync_user_index"
    assert beat["sync-user-index"]["schedule"] == 0.25
    assert "prefix" not in beat["refresh-dirty"]["kwargs"] and beat["sync-user-index"]["kwargs"] == {}
    scoped = config(Settings.without_graph({"INTERESTGRAPH_BEAT_PREFIX": "fr1-"}))["beat_schedule"]
    assert scoped["refresh-dirty"]["kwargs"] == {"max_batches": 4, "prefix": "fr1-"}
    assert scoped["sync-user-index"]["kwargs"] == scoped["refresh-similar"]["kwargs"] == {"prefix": "fr1-"}
    bare = config(Settings.without_graph({}))
    assert "drain-stream" not in bare["beat_schedule"] and bare["redis_backend_credential_provider"] is None


def test_a_shell_needs_only_the_home_for_the_passwords(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "neo4j.password").write_text("neo-from-home\n")
    (home / "redis.password").write_text("redis-from-home\n")
    s = Settings.from_env({"INTERESTGRAPH_HOME": str(home)})
    assert s.neo4j_password.get_secret_value() == "neo-from-home"
    assert s.redis_password.get_secret_value() == "redis-from-home"
    # The environment still wins, and a home without the files is no password at all.
    s = Settings.from_env({"INTERESTGRAPH_HOME": str(home), "NEO4J_PASSWORD": "direct"})
    assert s.neo4j_password.get_secret_value() == "direct"
    with pytest.raises(ConfigError, match="NEO4J_PASSWORD is not set"):
        Settings.from_env({"INTERESTGRAPH_HOME": str(tmp_path / "empty")})
