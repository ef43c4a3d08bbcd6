"""``interestgraph``: the command line. ``--json`` prints one JSON object for scripts.

Every command reads :class:`~interestgraph.settings.Settings` from the environment.
Errors of our tree print one line on stderr and exit with status 2; nothing else is
swallowed. ``interestgraph --install-completion`` installs shell completion.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from cli import analyst, bench, ingest, models, nlp, services, serving
from cli.common import register
from interestgraph.errors import InterestGraphError

HELP = "interestgraph: the command line. --json prints one JSON object for scripts."

app = typer.Typer(name="interestgraph", help=HELP, add_completion=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})
for group in (services, ingest, nlp, models, serving, analyst, bench):
    register(app, group.COMMANDS)


def configure_logging() -> None:
    """Library code logs; INTERESTGRAPH_LOG_LEVEL=INFO shows per-batch timings (stream batches, embedding)."""
    from interestgraph.logs import configure

    configure(os.environ.get("INTERESTGRAPH_LOG_LEVEL", "WARNING").upper())


# What the commands write (dead letters, models, the text-vector cache, reports) is the shop's
# data: owner only, like the services make starts (`umask 077`).
UMASK = 0o077


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status (2 for usage errors and errors of our tree)."""
    os.umask(UMASK)
    try:
        configure_logging()
    except InterestGraphError as e:  # INTERESTGRAPH_LOG_LEVEL is not a level
        print(f"interestgraph: {e}", file=sys.stderr)
        return 2
    try:
        typer.main.get_command(app).main(args=None if argv is None else list(argv), prog_name="interestgraph",
                                         standalone_mode=True)
    except SystemExit as e:
        return exit_status(e.code)
    except KeyboardInterrupt:  # outside a command (a command's own Ctrl-C is handled by cli.common.guarded)
        print("interestgraph: interrupted", file=sys.stderr)
        return 130
    return 0


def exit_status(code: object) -> int:
    """The exit status a ``SystemExit`` code stands for; a message is printed on stderr and exits 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") convention
    return 1
