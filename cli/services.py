"""The services around the graph: ``neo4j``, ``schema``, ``status``, ``workers``, ``browser``."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import Command, driver, optional_settings, positive_int, say, settings
from cli.output import JsonFlag, emit, fmt
from interestgraph.errors import InputError, LocalServiceError

if TYPE_CHECKING:
    from interestgraph.settings import Settings


class Neo4jAction(StrEnum):
    """What ``neo4j`` can do."""

    start = "start"
    stop = "stop"
    status = "status"
    install = "install"
    lock = "lock"


def neo4j(action: Annotated[Neo4jAction, typer.Argument(metavar="ACTION",
                                                        help="start|stop|status|install|lock")],
          force: Annotated[bool, typer.Option("--force", help="install: re-assemble even if current")] = False,
          as_json: JsonFlag = False) -> None:
    """Start, stop, install or report on the local Neo4j server, or rewrite its jar lock (``lock``:
    resolve the assembly and pin every jar's sha256 in neo4j_local/assembly/jars.sha256)."""
    from interestgraph.settings import resolve_home
    from neo4j_local import launcher

    if action is Neo4jAction.lock:
        from pathlib import Path

        import neo4j_local

        path = Path(neo4j_local.__file__).parent / "assembly" / "jars.sha256"
        jars = launcher.write_lock(path)
        emit(as_json, {"lock": str(path), "jars": jars}, lambda p: f"pinned {p['jars']} jars in {p['lock']}")
        return

    s = optional_settings()
    layout = launcher.Layout.under(s.home if s else resolve_home())
    if action is Neo4jAction.status:
        emit(as_json, launcher.status(layout),
             lambda p: (f"Neo4j {'running' if p['running'] else 'stopped'} "
                        f"({'installed' if p['installed'] else 'not installed'}) in {p['home']}; "
                        f"Bolt {p['bolt']}, Browser {p['browser']}"))
        return
    if action is Neo4jAction.install:
        changed = launcher.install(layout, force=force)
        emit(as_json, {"installed": True, "changed": changed, "home": str(layout.root)},
             lambda p: f"Neo4j assembly {'updated' if p['changed'] else 'already current'} in {p['home']}")
        return
    if action is Neo4jAction.stop:
        emit(as_json, {"message": launcher.stop(layout)}, lambda p: p["message"])
        return
    if s is None:
        raise LocalServiceError("NEO4J_PASSWORD must be set to start Neo4j (auth is always on)")
    emit(as_json, {"message": launcher.start(layout, s.neo4j_password)}, lambda p: p["message"])


class SchemaAction(StrEnum):
    """What ``schema`` can do."""

    apply = "apply"


def text_dim(s: Settings) -> int:
    """The text model's vector size (the text vector indexes are made at it); fetches BGE first if needed."""
    from textenc.encoders import model_dim, text_model_dir

    return model_dim(text_model_dir(s))


def schema(action: Annotated[SchemaAction, typer.Argument(metavar="ACTION", help="apply")],
           as_json: JsonFlag = False) -> None:
    """Apply the constraints and indexes, with the text indexes sized for the current text model."""
    from interestgraph.schema import apply

    s = settings()
    dim = text_dim(s)
    with driver(s) as d:
        out = apply(d, s, dim)
    emit(as_json, out, lambda p: f"schema applied: {p['statements']} statements, vector indexes "
                                 f"{p['embedding_dim']}-d, text vector indexes {p['text_dim']}-d"
                                 + (f"; rebuilt for the new text model: {', '.join(p['text_indexes_rebuilt'])} "
                                    "(run `interestgraph nlp pass --all` to encode every text again)"
                                    if p["text_indexes_rebuilt"] else ""))


def status(minutes: Annotated[int, typer.Option("--minutes", parser=positive_int,
                                                help="the window for rates and percentiles")] = 5,
           prefix: Annotated[str, typer.Option("--prefix", help="only ids starting with this (one namespace)")] = "",
           as_json: JsonFlag = False) -> None:
    """Print freshness over the last ``minutes``: backlog, refresh rate and lag, index lag, model, workers."""
    from workers.client import status as freshness

    s = settings()
    with driver(s) as d:
        out = freshness(d, s, minutes, prefix)
    emit(as_json, out, lambda p: "\n".join(f"{k:>16}: {fmt(v)}" for k, v in p.items()))


class WorkersAction(StrEnum):
    """What ``workers`` can do."""

    ping = "ping"


def workers(action: Annotated[WorkersAction, typer.Argument(metavar="ACTION", help="ping")],
            timeout: Annotated[float, typer.Option("--timeout")] = 60.0,
            as_json: JsonFlag = False) -> None:
    """Wait for a Celery worker to answer a ping and print its reply."""
    from workers.client import wait_for_worker

    emit(as_json, {"reply": wait_for_worker(timeout)}, lambda p: f"worker answered: {p['reply']}")


class BrowserAction(StrEnum):
    """What ``browser`` can do."""

    serve = "serve"
    check = "check"
    guide = "guide"
    style = "style"


# The asset server's token reaches `serve` and `check` through the environment, never argv.
ASSETS_TOKEN = "INTERESTGRAPH_ASSETS_TOKEN"


def browser(action: Annotated[BrowserAction, typer.Argument(metavar="ACTION", help="serve|check|guide|style")],
            port: Annotated[int, typer.Option("--port", parser=positive_int)] = 7476,
            timeout: Annotated[float, typer.Option("--timeout", help="check: seconds to wait")] = 10.0) -> None:
    """Serve the Browser style and guide, check that the server on the port is the one started
    with $INTERESTGRAPH_ASSETS_TOKEN, or print the guide or the style."""
    from neo4j_local import browser_assets

    if action in (BrowserAction.guide, BrowserAction.style):
        print(browser_assets.guide() if action is BrowserAction.guide else browser_assets.style(), end="")
        return
    token = os.environ.get(ASSETS_TOKEN) or None
    if action is BrowserAction.check:
        if token is None:
            raise InputError(f"browser check needs {ASSETS_TOKEN}, the token the server was started with")
        browser_assets.wait_until_ours(port, token, timeout)
        return
    from neo4j_local.launcher import port_free

    if not port_free(port):
        raise LocalServiceError(f"port {port} is already taken; is the asset server running already?")
    say(f"serving the Browser style and guide on http://localhost:{port}/ (Ctrl-C to stop)")
    try:
        browser_assets.serve(port, token)
    except KeyboardInterrupt:
        pass


COMMANDS: list[Command] = [
    ("neo4j", "manage the local Neo4j 5.26 Community server", neo4j),
    ("schema", "constraints, indexes and vector indexes", schema),
    ("status", "freshness: dirty backlog, refresh rate and lag, model, workers", status),
    ("workers", "check the Celery workers", workers),
    ("browser", "Neo4j Browser assets: serve the style and the analyst guide, or print one", browser),
]

