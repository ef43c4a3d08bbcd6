"""One typed settings object, read from the environment and passed explicitly.

:class:`Settings` is a pydantic-settings model: every field is read from one environment
variable (named in the table below, the names ``docker-compose.yml``, the Makefile and the
scripts set) and validated once, so a bad value stops a process at start with a
:class:`ConfigError` that names the variable, not later with a bare ``ValueError``.

Passwords are :class:`pydantic.SecretStr`: ``repr``, ``str`` and logs show ``**********``;
call ``.get_secret_value()`` only where the password is handed to a client. A password can
also come from a file named by ``NAME_FILE`` (Docker and Compose secrets). URLs in the
``repr`` lose any credentials they carry.

=======================================  ===========================  =============================================
variable                                 field                        default
=======================================  ===========================  =============================================
``NEO4J_URI``                            ``neo4j_uri``                ``bolt://localhost:7687``
``NEO4J_USER``                           ``neo4j_user``               ``neo4j``
``NEO4J_PASSWORD(_FILE)``                ``neo4j_password``           required by :meth:`Settings.from_env`
                                                                      (else ``$INTERESTGRAPH_HOME/neo4j.password``)
``NEO4J_DATABASE``                       ``neo4j_database``           ``neo4j``
``CELERY_BROKER_URL``                    ``broker_url``               ``redis://localhost:6379/0``
``CELERY_RESULT_BACKEND``                ``result_backend``           the broker URL
``REDIS_PASSWORD(_FILE)``                ``redis_password``           ``$INTERESTGRAPH_HOME/redis.password``, else
                                                                      none
``REDIS_PRODUCER_USER``                  ``redis_producer_user``      ``producer`` (may only ``XADD``)
``REDIS_PRODUCER_PASSWORD(_FILE)``       ``redis_producer_password``  none (``publish`` then uses the above)
``INTERESTGRAPH_DEVICE``                 ``device``                   ``auto`` (or ``cuda``, ``cpu``)
``INTERESTGRAPH_HOME``                   ``home``                     ``~/.local/share/interestgraph``
``INTERESTGRAPH_HALF_LIFE_DAYS``         ``half_life_days``           14
``INTERESTGRAPH_REFRESH_EVERY_S``        ``refresh_every_s``          1 (beat: re-embed dirty nodes)
``INTERESTGRAPH_TEXT_EVERY_S``           ``text_every_s``             2 (beat: encode pending texts)
``INTERESTGRAPH_LEDGER_DAYS``            ``ledger_days``              30 (event-id replay window; at least 1)
``INTERESTGRAPH_STREAM_URL``             ``stream_url``               none (beat drains no stream)
``INTERESTGRAPH_STREAM_MAX_DELIVERIES``  ``stream_max_deliveries``    5 (then the entry is dead-lettered)
``INTERESTGRAPH_STREAM_BATCH_BYTES``     ``stream_batch_bytes``       16 MiB (bytes of entries per batch)
``INTERESTGRAPH_STREAM_MAX_LEN``         ``stream_max_len``           1,000,000 (entries; ``publish`` refuses more)
``INTERESTGRAPH_BEAT_PREFIX``            ``beat_prefix``              none (beat's refresh, index sync and
                                                                      SIMILAR_TO cover every id; a prefix keeps
                                                                      them to one namespace, as a benchmark does
                                                                      in a shared database)
``INTERESTGRAPH_TEXT_MODEL``             ``text_model``               bge-small-zh-v1.5 (``bge``, ``minilm``
                                                                      or a model directory)
``INTERESTGRAPH_SENTIMENT_MODEL``        ``sentiment_model``          the built review model
``INTERESTGRAPH_MODELS``                 ``models_dir``               ``~/.cache/interestgraph/models``
``INTERESTGRAPH_LOG_LEVEL``              ``log_level``                ``WARNING``
=======================================  ===========================  =============================================

An empty variable counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from interestgraph.errors import ConfigError

Device = Literal["auto", "cuda", "cpu"]
_DEVICES: tuple[Device, ...] = ("auto", "cuda", "cpu")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
_LOG_LEVELS: tuple[LogLevel, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Variables whose value may come from a file named by NAME_FILE, and whose value is never shown.
_SECRETS = ("NEO4J_PASSWORD", "REDIS_PASSWORD", "REDIS_PRODUCER_PASSWORD")


# The files `make` generates each secret into, under INTERESTGRAPH_HOME.
HOME_SECRET_FILES = {"NEO4J_PASSWORD": "neo4j.password", "REDIS_PASSWORD": "redis.password"}


def read_secret(env: Mapping[str, str], name: str) -> str:
    """``NAME`` from the environment, else the contents of the file named by ``NAME_FILE``
    (Docker and Compose secrets), else, when ``INTERESTGRAPH_HOME`` is set, the file `make`
    generated there (``neo4j.password``, ``redis.password``), so a shell needs nothing but
    ``INTERESTGRAPH_HOME``; empty when none of them is there."""
    if env.get(name):
        return env[name]
    path = env.get(f"{name}_FILE")
    if not path:
        home, generated = env.get("INTERESTGRAPH_HOME"), HOME_SECRET_FILES.get(name)
        if not home or not generated:
            return ""
        path = str(Path(home).expanduser() / generated)
        if not Path(path).is_file():
            return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{name}_FILE names {path!r}, which cannot be read: {e.strerror}") from None


def redis_password(env: Mapping[str, str] | None = None) -> str:
    """The Redis password (``REDIS_PASSWORD`` or ``REDIS_PASSWORD_FILE``); empty if unset.

    Prefer ``settings.redis_password.get_secret_value()`` where a :class:`Settings` is at hand.
    """
    return read_secret(os.environ if env is None else env, "REDIS_PASSWORD")


def with_password(url: str, password: str | SecretStr) -> str:
    """``url`` with ``password`` filled in, unless the URL already carries credentials.

    The result holds a secret: pass it to a client, never print it (see :func:`redact_url`).
    """
    if isinstance(password, SecretStr):
        password = password.get_secret_value()
    parts = urlsplit(url)
    if not password or "@" in parts.netloc:
        return url
    return urlunsplit((parts.scheme, f":{quote(password, safe='')}@{parts.netloc}", parts.path,
                       parts.query, parts.fragment))


def redact_url(url: str) -> str:
    """``url`` without its user and password, for logs, dead letters and messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, "***@" + parts.netloc.rsplit("@", 1)[1], parts.path, parts.query, parts.fragment))


def same_redis(a: str, b: str) -> bool:
    """True when the Redis URLs ``a`` and ``b`` name the same server (scheme, host, port; any db)."""
    pa, pb = urlsplit(a), urlsplit(b)
    try:
        return ((pa.scheme, (pa.hostname or "").lower(), pa.port or 6379)
                == (pb.scheme, (pb.hostname or "").lower(), pb.port or 6379))
    except ValueError:  # a port that is not a number
        return False


def _default_home() -> Path:
    return Path(os.path.expanduser("~")) / ".local" / "share" / "interestgraph"


def _default_models() -> Path:
    return Path(os.path.expanduser("~")) / ".cache" / "interestgraph" / "models"


def resolve_home(env: Mapping[str, str] | None = None) -> Path:
    """``INTERESTGRAPH_HOME``, else ``~/.local/share/interestgraph``; needs no secrets."""
    env = os.environ if env is None else env
    return Path(env["INTERESTGRAPH_HOME"]).expanduser() if env.get("INTERESTGRAPH_HOME") else _default_home()


def _var(default: Any = None, *, env: str, expect: str, factory: Any = None, **limits: Any) -> Any:
    """A field read from the variable ``env``; ``expect`` completes "``env`` must be ..." in errors;
    ``limits`` are pydantic's constraints (``ge=1``)."""
    if factory is not None:
        return Field(default_factory=factory, validation_alias=env, description=expect, **limits)
    return Field(default, validation_alias=env, description=expect, **limits)


# The mapping Settings() reads instead of os.environ, while Settings.from_env(env) runs.
_ENV: ContextVar[Mapping[str, str] | None] = ContextVar("interestgraph_settings_env", default=None)


class _Environment(PydanticBaseSettingsSource):
    """Each field's variable (its ``validation_alias``) from ``os.environ`` or the mapping given to
    :meth:`Settings.from_env`; ``NAME_FILE`` for secrets; empty values count as unset."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        name = field.validation_alias
        if not isinstance(name, str):
            return None, field_name, False
        env = _ENV.get()
        env = os.environ if env is None else env
        value = read_secret(env, name) if name in _SECRETS else env.get(name, "")
        return (value or None), name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, field_name)
            if value is not None:
                values[key] = value
        return values


class Settings(BaseSettings):
    """Everything a process needs to reach the graph, the broker, the models and the device.

    Read it once per process with :meth:`from_env` (or :meth:`without_graph` where Neo4j is
    never reached) and pass it down; library code does not read the environment. The
    module docstring lists each field's variable and default.
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    neo4j_uri: str = _var("bolt://localhost:7687", env="NEO4J_URI",
                          expect="a Bolt or routing URI such as bolt://localhost:7687")
    neo4j_user: str = _var("neo4j", env="NEO4J_USER", expect="a user name")
    neo4j_password: SecretStr = _var(SecretStr(""), env="NEO4J_PASSWORD", expect="a password")
    neo4j_database: str = _var("neo4j", env="NEO4J_DATABASE", expect="a database name")
    broker_url: str = _var("redis://localhost:6379/0", env="CELERY_BROKER_URL",
                           expect="a broker URL such as redis://localhost:6379/0")
    result_backend: str = _var("redis://localhost:6379/0", env="CELERY_RESULT_BACKEND",
                               expect="a result backend URL such as redis://localhost:6379/0")
    redis_password: SecretStr = _var(SecretStr(""), env="REDIS_PASSWORD", expect="a password")
    redis_producer_user: str = _var("producer", env="REDIS_PRODUCER_USER", expect="a Redis user name")
    redis_producer_password: SecretStr = _var(SecretStr(""), env="REDIS_PRODUCER_PASSWORD", expect="a password")
    device: Device = _var("auto", env="INTERESTGRAPH_DEVICE", expect=f"one of {_DEVICES}")
    home: Path = _var(env="INTERESTGRAPH_HOME", expect="a directory", factory=_default_home)
    embedding_dim: int = 64  # the dimension of every node embedding and vector index (not a variable)
    half_life_days: PositiveFloat = _var(14.0, env="INTERESTGRAPH_HALF_LIFE_DAYS", expect="a positive number")
    refresh_every_s: PositiveFloat = _var(1.0, env="INTERESTGRAPH_REFRESH_EVERY_S", expect="a positive number")
    text_every_s: PositiveFloat = _var(2.0, env="INTERESTGRAPH_TEXT_EVERY_S", expect="a positive number")
    ledger_days: float = _var(30.0, env="INTERESTGRAPH_LEDGER_DAYS", expect="a number of days, at least 1",
                              ge=1.0, allow_inf_nan=False)
    stream_url: str = _var("", env="INTERESTGRAPH_STREAM_URL",
                           expect="a stream URL such as redis://localhost:6379/0/events")
    stream_max_deliveries: PositiveInt = _var(5, env="INTERESTGRAPH_STREAM_MAX_DELIVERIES",
                                              expect="a positive integer")
    stream_batch_bytes: int = _var(16 * 1024 * 1024, env="INTERESTGRAPH_STREAM_BATCH_BYTES",
                                   expect="a number of bytes, at least 65536 (one entry)", ge=64 * 1024)
    stream_max_len: PositiveInt = _var(1_000_000, env="INTERESTGRAPH_STREAM_MAX_LEN",
                                       expect="a positive number of entries")
    beat_prefix: str = _var("", env="INTERESTGRAPH_BEAT_PREFIX", expect="an id prefix")
    text_model: str = _var("", env="INTERESTGRAPH_TEXT_MODEL",
                           expect="bge, minilm or the path of a local model directory")
    sentiment_model: Path | None = _var(None, env="INTERESTGRAPH_SENTIMENT_MODEL",
                                        expect="the path of a review model directory")
    models_dir: Path = _var(env="INTERESTGRAPH_MODELS", expect="a directory", factory=_default_models)
    log_level: LogLevel = _var("WARNING", env="INTERESTGRAPH_LOG_LEVEL", expect=f"one of {_LOG_LEVELS}")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Pydantic's hook that picks where settings are read from."""
        # Keyword arguments win, then the environment; no .env files, no secrets directory.
        return init_settings, _Environment(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _backend_defaults_to_broker(cls, data: Any) -> Any:
        if isinstance(data, dict) and not (data.get("CELERY_RESULT_BACKEND") or data.get("result_backend")):
            broker = data.get("CELERY_BROKER_URL") or data.get("broker_url")
            if broker:
                data = {**data, "CELERY_RESULT_BACKEND": broker}
        return data

    @field_validator("neo4j_uri", "broker_url", "result_backend")
    @classmethod
    def _is_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("not a URL")
        return value

    @field_validator("stream_url")
    @classmethod
    def _is_stream_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("redis", "rediss"):
            raise ValueError("not a redis:// or rediss:// URL")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("home", "models_dir", "sentiment_model")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    def __repr_args__(self) -> Any:
        # SecretStr fields already show as '**********'; URLs may carry credentials of their own.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if isinstance(value, str) and "://" in value else value

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default ``os.environ``); Neo4j's password is required.

        Raises:
            ConfigError: a value is missing or malformed; the message names the variable.
        """
        settings = cls.without_graph(env)
        if not settings.neo4j_password.get_secret_value():
            raise ConfigError(
                "NEO4J_PASSWORD is not set: expected the Neo4j password in the environment, "
                "NEO4J_PASSWORD_FILE naming a file that holds it, or INTERESTGRAPH_HOME naming the "
                "directory whose neo4j.password `make` generated"
            )
        return settings

    @classmethod
    def without_graph(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings for work that never reaches Neo4j (encoding texts, building models, Celery's
        configuration): every setting, validated, but no password needed."""
        with _reading(env):
            try:
                return cls()
            except ValidationError as e:
                raise _config_error(cls, e) from None

    @property
    def half_life_ms(self) -> float:
        """The interest half-life in milliseconds, the unit event times are kept in."""
        return self.half_life_days * 86_400_000.0

    def on_broker_host(self, url: str) -> bool:
        """True when ``url`` names the broker's Redis (scheme, host and port): the only server
        our Redis passwords are sent to."""
        return same_redis(url, self.broker_url)

    def redis_url(self, url: str | None = None) -> str:
        """``url`` (default the broker URL) with the Redis password in it: for clients only, never print it."""
        return with_password(self.broker_url if url is None else url, self.redis_password)


@contextmanager
def _reading(env: Mapping[str, str] | None) -> Iterator[None]:
    token = _ENV.set(env)
    try:
        yield
    finally:
        _ENV.reset(token)


def _config_error(cls: type[Settings], error: ValidationError) -> ConfigError:
    """The first problem of ``error`` as ``NAME must be ..., got '...'`` (never showing a secret)."""
    by_alias = {f.validation_alias: f for f in cls.model_fields.values() if isinstance(f.validation_alias, str)}
    by_name = {n: f for n, f in cls.model_fields.items()}
    messages = []
    for problem in error.errors(include_url=False):
        key = str(problem["loc"][0]) if problem["loc"] else ""
        field = by_alias.get(key) or by_name.get(key)
        name = field.validation_alias if field is not None and isinstance(field.validation_alias, str) else key
        expect = field.description if field is not None and field.description else problem["msg"]
        raw = problem["input"]
        hidden = name in _SECRETS or ("@" in str(raw) and "://" not in str(raw))
        shown = "" if hidden else f", got {redact_url(raw) if isinstance(raw, str) else raw!r}"
        messages.append(f"{name} must be {expect}{shown}")
    return ConfigError("; ".join(messages))
