"""One typed settings object, read from the environment and passed explicitly.

The names match ``docker-compose.yml`` so that a local run and production read the
same variables. Secrets are wrapped in :class:`Secret`, whose ``repr`` never shows the
value, so a settings object can be logged safely.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from interestgraph.errors import ConfigError

Device = Literal["auto", "cuda", "cpu"]
_DEVICES: tuple[Device, ...] = ("auto", "cuda", "cpu")


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def read_secret(env: Mapping[str, str], name: str) -> str:
    """``NAME`` from the environment, else the contents of the file named by ``NAME_FILE``
    (Docker and Compose secrets); empty when neither is set."""
    if env.get(name):
        return env[name]
    path = env.get(f"{name}_FILE")
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{name}_FILE names {path!r}, which cannot be read: {e.strerror}") from None


def redis_password(env: Mapping[str, str] | None = None) -> str:
    """The Redis password (``REDIS_PASSWORD`` or ``REDIS_PASSWORD_FILE``); empty if unset."""
    return read_secret(os.environ if env is None else env, "REDIS_PASSWORD")


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` filled in, unless the URL already carries credentials.

    The result holds a secret: pass it to a client, never print it (see :func:`redact_url`).
    """
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


def _default_home() -> Path:
    return Path(os.path.expanduser("~")) / ".local" / "share" / "interestgraph"


def resolve_home(env: Mapping[str, str] | None = None) -> Path:
    """``INTERESTGRAPH_HOME``, else ``~/.local/share/interestgraph``; needs no secrets."""
    env = os.environ if env is None else env
    return Path(env["INTERESTGRAPH_HOME"]) if env.get("INTERESTGRAPH_HOME") else _default_home()


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to reach the graph, the broker and the device.

    Attributes:
        neo4j_uri: Bolt or routing URI (``NEO4J_URI``), e.g. ``bolt://localhost:7687``;
            ``neo4j://`` works unchanged against a cluster.
        neo4j_user: ``NEO4J_USER``.
        neo4j_password: ``NEO4J_PASSWORD``; required, there is no default.
        neo4j_database: ``NEO4J_DATABASE`` (default ``neo4j``).
        broker_url: ``CELERY_BROKER_URL`` (default ``redis://localhost:6379/0``); the
            password is not part of it but of ``redis_password``.
        redis_password: ``REDIS_PASSWORD`` (or a file named by ``REDIS_PASSWORD_FILE``).
        result_backend: ``CELERY_RESULT_BACKEND`` (default: the broker URL).
        device: ``INTERESTGRAPH_DEVICE``: ``auto``, ``cuda`` or ``cpu``.
        home: ``INTERESTGRAPH_HOME``: where the local Neo4j, Redis and state live.
        embedding_dim: dimension of every node embedding and vector index.
        half_life_days: ``INTERESTGRAPH_HALF_LIFE_DAYS``: decay of behaviour weights.
    """

    neo4j_password: Secret
    neo4j_uri: str = "bolt://localhost:7687"
    neo4j_user: str = "neo4j"
    neo4j_database: str = "neo4j"
    broker_url: str = "redis://localhost:6379/0"
    result_backend: str = "redis://localhost:6379/0"
    redis_password: Secret = field(default_factory=lambda: Secret(""))
    device: Device = "auto"
    home: Path = field(default_factory=_default_home)
    embedding_dim: int = 64
    half_life_days: float = 14.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default ``os.environ``).

        Raises:
            ConfigError: a value is missing or malformed; the message names the variable.
        """
        env = os.environ if env is None else env
        password = read_secret(env, "NEO4J_PASSWORD")
        if not password:
            raise ConfigError(
                "NEO4J_PASSWORD is not set: expected the Neo4j password in the environment, or "
                "NEO4J_PASSWORD_FILE naming a file that holds it "
                "(make targets set it from $INTERESTGRAPH_HOME/neo4j.password)"
            )
        device = _device(env)
        broker = env.get("CELERY_BROKER_URL", cls.broker_url)
        return cls(
            neo4j_password=Secret(password),
            neo4j_uri=env.get("NEO4J_URI", cls.neo4j_uri),
            neo4j_user=env.get("NEO4J_USER", cls.neo4j_user),
            neo4j_database=env.get("NEO4J_DATABASE", cls.neo4j_database),
            broker_url=broker,
            result_backend=env.get("CELERY_RESULT_BACKEND", broker),
            redis_password=Secret(redis_password(env)),
            device=device,
            home=resolve_home(env),
            half_life_days=_positive_float(env, "INTERESTGRAPH_HALF_LIFE_DAYS", cls.half_life_days),
        )

    @classmethod
    def without_graph(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings for work that never reaches Neo4j (encoding texts, building models): no password."""
        env = os.environ if env is None else env
        return cls(neo4j_password=Secret(""), device=_device(env), home=resolve_home(env))

    @property
    def half_life_ms(self) -> float:
        return self.half_life_days * 86_400_000.0


def _device(env: Mapping[str, str]) -> Device:
    device = env.get("INTERESTGRAPH_DEVICE", "auto")
    for choice in _DEVICES:
        if device == choice:
            return choice
    raise ConfigError(f"INTERESTGRAPH_DEVICE must be one of {_DEVICES}, got {device!r}")


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive number, got {raw!r}")
    return value
