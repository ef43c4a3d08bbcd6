"""What the command modules share: settings, the Neo4j driver, option types, and the guard
that turns our errors into one line on stderr and an exit status.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from interestgraph.errors import InputError, InterestGraphError

if TYPE_CHECKING:
    from neo4j import Driver

    from interestgraph.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def settings() -> Settings:
    """Settings from the environment; what is missing raises :class:`ConfigError` (exit 2)."""
    from interestgraph.settings import Settings

    return Settings.from_env()


def optional_settings() -> Settings | None:
    """Settings for commands that also work without them (neo4j, publish, nlp, browser, workers)."""
    try:
        return settings()
    except InterestGraphError:
        return None


def driver(s: Settings) -> Driver:
    """A Neo4j driver for ``s`` (the caller closes it)."""
    from interestgraph.graph import open_driver

    return open_driver(s)


def positive_int(text: str | int) -> int:
    """An option's value that must be a positive integer (a usage error, exit 2, otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise typer.BadParameter(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise typer.BadParameter(f"expected a positive integer, got {value}")
    return value


def say(line: str) -> None:
    """A line for people on stderr (stdout is for results)."""
    print(line, file=sys.stderr, flush=True)


def guarded(name: str) -> Callable[[F], F]:
    """Run command ``name``: errors of our tree print one line on stderr and exit 2 (input
    errors without the command's name), Ctrl-C exits 130, and a returned int is the exit status.
    Nothing else is swallowed."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> None:
            try:
                code = fn(*args, **kwargs)
            except InputError as e:
                say(f"interestgraph: {e}")
                raise typer.Exit(2) from None
            except InterestGraphError as e:
                say(f"interestgraph {name}: {e}")
                raise typer.Exit(2) from None
            except KeyboardInterrupt:
                say("interestgraph: interrupted")
                raise typer.Exit(130) from None
            if isinstance(code, int) and code:
                raise typer.Exit(code)

        return run  # type: ignore[return-value]

    return wrap


Command = tuple[str, str, Callable[..., Any]]  # name, help, function


def register(app: typer.Typer, commands: list[Command]) -> None:
    """Add each command to ``app``, run under :func:`guarded`."""
    for name, help_text, fn in commands:
        app.command(name, help=help_text)(guarded(name)(fn))
