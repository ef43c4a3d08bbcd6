"""``interestgraph``: the command line. ``--json`` prints one JSON object for scripts.

Every command reads :class:`~interestgraph.settings.Settings` from the environment.
Errors of our tree print one line on stderr and exit with status 2; nothing else is
swallowed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from interestgraph.errors import InputError, InterestGraphError, LocalServiceError
from interestgraph.settings import Settings, resolve_home

Handler = Callable[[argparse.Namespace, Settings], Any]


def _emit(args: argparse.Namespace, payload: Any, human: Callable[[Any], str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        print(human(payload))


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(no rows)"
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(_width(c), *(_width(row[i]) for row in cells)) for i, c in enumerate(columns)]

    def pad(v: str, w: int) -> str:
        return v + " " * (w - _width(v))

    line = "  ".join(pad(c, w) for c, w in zip(columns, widths, strict=True))
    body = ["  ".join(pad(v, w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def _width(text: str) -> int:
    # CJK titles take two terminal columns per character.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return "" if v is None else str(v)


def _driver(settings: Settings):  # noqa: ANN202 - neo4j.Driver, imported lazily
    from interestgraph.graph import open_driver

    return open_driver(settings)


# --- neo4j -----------------------------------------------------------------------------

def cmd_neo4j(args: argparse.Namespace, settings: Settings | None) -> None:
    from neo4j_local import launcher

    home = settings.home if settings else resolve_home()
    layout = launcher.Layout.under(home)
    if args.action == "status":
        st = launcher.status(layout)
        _emit(args, st, lambda s: (f"Neo4j {'running' if s['running'] else 'stopped'} "
                                   f"({'installed' if s['installed'] else 'not installed'}) in {s['home']}; "
                                   f"Bolt {s['bolt']}, Browser {s['browser']}"))
        return
    if args.action == "install":
        changed = launcher.install(layout, force=args.force)
        _emit(args, {"installed": True, "changed": changed, "home": str(layout.root)},
              lambda p: f"Neo4j assembly {'updated' if p['changed'] else 'already current'} in {p['home']}")
        return
    if args.action == "stop":
        msg = launcher.stop(layout)
        _emit(args, {"message": msg}, lambda p: p["message"])
        return
    if settings is None:
        raise LocalServiceError("NEO4J_PASSWORD must be set to start Neo4j (auth is always on)")
    msg = launcher.start(layout, settings.neo4j_password)
    _emit(args, {"message": msg}, lambda p: p["message"])


# --- graph commands --------------------------------------------------------------------

def cmd_schema(args: argparse.Namespace, settings: Settings) -> None:
    from interestgraph.schema import apply

    with _driver(settings) as driver:
        out = apply(driver, settings)
    _emit(args, out, lambda p: f"schema applied: {p['statements']} statements, "
                               f"vector indexes {p['embedding_dim']}-d")


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> None:
    from ingest.pipeline import sync
    from ingest.writer import GraphWriter

    paths = [Path(p) for p in args.paths]
    dead = Path(args.dead_letter) if args.dead_letter else settings.home / "dead-letter.jsonl"
    with _driver(settings) as driver:
        report = sync(paths, GraphWriter(driver, settings), dead, batch_size=args.batch_size,
                      progress=None if not args.json else False)
    out = report.as_dict()
    _emit(args, {k: out[k] for k in ("accepted", "rejected", "duplicates", "events_per_s", "dead_letter")},
          lambda p: (f"accepted {p['accepted']}, rejected {p['rejected']}, duplicates {p['duplicates']} "
                     f"({p['events_per_s']:.0f} events/s)"
                     + (f"; rejected lines are in {p['dead_letter']}" if p["dead_letter"] else "")))


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> None:
    if args.in_process:
        from gnn.refresh import refresh

        with _driver(settings) as driver:
            out = refresh(driver, settings, all_nodes=args.all, progress=not args.json).as_dict()
    else:
        out = _refresh_via_celery(args.all, args.timeout)
    _emit(args, out, lambda p: (f"re-embedded {p['users']} users and {p['items']} items with {p['model']} "
                                f"on {p['device']} in {p['seconds']:.2f}s ({p['batches']} batches)"))


def _refresh_via_celery(all_nodes: bool, timeout: float) -> dict[str, Any]:
    from celery.exceptions import TimeoutError as CeleryTimeout

    from workers.tasks import refresh

    started = time.monotonic()
    result = refresh.apply_async(kwargs={"all_nodes": all_nodes})
    try:
        out: dict[str, Any] = result.get(timeout=timeout)
    except CeleryTimeout:
        raise LocalServiceError(
            f"no gnn worker finished the refresh within {timeout:.0f}s; is a worker running? "
            "(`make worker`, or `celery -A workers worker -Q ingest,nlp,gnn`)"
        ) from None
    out["via"] = "celery"
    out["task_id"] = result.id
    out["wall_s"] = round(time.monotonic() - started, 3)
    return out


def cmd_recommend(args: argparse.Namespace, settings: Settings) -> None:
    from interestgraph.serve import recommend

    with _driver(settings) as driver:
        rows = recommend(driver, settings, args.user_id, args.k)
    _emit(args, {"user_id": args.user_id, "items": rows},
          lambda p: f"Recommendations for user {p['user_id']}:\n" + _table(p["items"], ["item_id", "title", "score"]))


def cmd_similar(args: argparse.Namespace, settings: Settings) -> None:
    from interestgraph.serve import similar

    with _driver(settings) as driver:
        rows = similar(driver, settings, args.user_id, args.k)
    _emit(args, {"user_id": args.user_id, "users": rows},
          lambda p: f"Users similar to {p['user_id']}:\n" + _table(p["users"], ["user_id", "score"]))


def cmd_workers(args: argparse.Namespace, settings: Settings | None) -> None:
    from workers.tasks import ping

    deadline = time.monotonic() + args.timeout
    while True:
        try:
            reply = ping.apply_async(expires=5).get(timeout=min(5.0, max(0.5, deadline - time.monotonic())))
            break
        except Exception as e:  # noqa: BLE001 - broker down or no worker yet: keep polling
            if time.monotonic() >= deadline:
                raise LocalServiceError(f"no worker answered on the gnn queue within {args.timeout:.0f}s "
                                        f"({type(e).__name__}); see $INTERESTGRAPH_HOME/logs/worker.log") from None
    _emit(args, {"reply": reply}, lambda p: f"worker answered: {p['reply']}")


# --- parser ----------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="interestgraph", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    n = sub.add_parser("neo4j", help="manage the local Neo4j 5.26 Community server")
    n.add_argument("action", choices=["start", "stop", "status", "install"])
    n.add_argument("--force", action="store_true", help="install: re-assemble even if current")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=cmd_neo4j, needs_settings=False)

    s = sub.add_parser("schema", help="constraints, indexes and vector indexes")
    s.add_argument("action", choices=["apply"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_schema)

    i = sub.add_parser("ingest", help="ingest event files (JSON Lines or CSV, .gz too)")
    i.add_argument("paths", nargs="+", metavar="PATH")
    i.add_argument("--dead-letter", metavar="FILE", help="where rejected lines go "
                   "(default $INTERESTGRAPH_HOME/dead-letter.jsonl)")
    i.add_argument("--batch-size", type=_positive_int, default=2000)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_ingest)

    r = sub.add_parser("refresh", help="re-embed dirty (or all) users and items now")
    r.add_argument("--all", action="store_true", help="re-embed every user and item")
    r.add_argument("--in-process", action="store_true", help="run here instead of on a gnn worker")
    r.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the worker")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_refresh)

    w = sub.add_parser("workers", help="check the Celery workers")
    w.add_argument("action", choices=["ping"])
    w.add_argument("--timeout", type=float, default=60.0)
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=cmd_workers, needs_settings=False)

    for name, func, what in (("recommend", cmd_recommend, "items for a user"),
                             ("similar", cmd_similar, "users similar to a user")):
        c = sub.add_parser(name, help=what + ", from the vector index")
        c.add_argument("user_id")
        c.add_argument("--k", type=_positive_int, default=10)
        c.add_argument("--json", action="store_true")
        c.set_defaults(func=func)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "needs_settings", True):
            settings: Settings | None = Settings.from_env()
        else:
            try:
                settings = Settings.from_env()
            except InterestGraphError:
                settings = None
        args.func(args, settings)
    except InputError as e:
        print(f"interestgraph: {e}", file=sys.stderr)
        return 2
    except InterestGraphError as e:
        print(f"interestgraph {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interestgraph: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
