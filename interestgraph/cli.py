"""``interestgraph``: the command line. ``--json`` prints one JSON object for scripts.

Every command reads :class:`~interestgraph.settings.Settings` from the environment.
Errors of our tree print one line on stderr and exit with status 2; nothing else is
swallowed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from interestgraph.errors import ConfigError, InputError, InterestGraphError, LocalServiceError
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
    """A cell for people: floats to 4 significant digits (``--json`` keeps every digit)."""
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 10_000 else f"{v:.4g}"
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
    from textenc.encoders import model_dim, text_model_dir

    with _driver(settings) as driver:
        out = apply(driver, settings, model_dim(text_model_dir()))
    _emit(args, out, lambda p: f"schema applied: {p['statements']} statements, vector indexes "
                               f"{p['embedding_dim']}-d, text vector indexes {p['text_dim']}-d"
                               + (f"; rebuilt for the new text model: {', '.join(p['text_indexes_rebuilt'])} "
                                  "(run `interestgraph nlp pass --all` to encode every text again)"
                                  if p["text_indexes_rebuilt"] else ""))


def _dead_letter(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.dead_letter) if args.dead_letter else settings.home / "dead-letter.jsonl"


def _ingest_summary(p: dict[str, Any]) -> str:
    return (f"accepted {p['accepted']}, rejected {p['rejected']}, duplicates {p['duplicates']} "
            f"({p['events_per_s']:.0f} events/s)"
            + (f"; rejected lines are in {p['dead_letter']}" if p.get("dead_letter") else ""))


def _writer(driver: Any, settings: Settings, embed: bool = True) -> Any:
    """The ingest writer; with ``embed``, each commit re-embeds its users with the active model."""
    from ingest.writer import GraphWriter

    if not embed:
        return GraphWriter(driver, settings)
    from gnn.online import UpdateBehind, UserUpdater
    from gnn.refresh import RuntimeCache

    return GraphWriter(driver, settings,
                       after_commit=UpdateBehind(UserUpdater(driver, settings, RuntimeCache(settings))))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int | None:
    """Exit status 0 when every line landed, 1 when some were rejected (see the dead-letter file)."""
    if args.follow:
        return _follow(args, settings)
    if not args.paths:
        raise InputError("ingest needs at least one PATH, or --follow redis://host:port/db/stream")
    from ingest.pipeline import sync

    paths = [Path(p) for p in args.paths]
    with _driver(settings) as driver:
        report = sync(paths, _writer(driver, settings, not args.no_embed), _dead_letter(args, settings),
                      batch_size=args.batch_size,
                      progress=None if not args.json else False)
        text = None if args.no_text else _text_pass(driver, settings, progress=not args.json)
    out = report.as_dict()
    _emit(args, {**{k: out[k] for k in ("accepted", "rejected", "duplicates", "events_per_s", "dead_letter")},
                 "text": text}, _ingest_summary)
    return 1 if report.rejected else 0


def _text_pass(driver: Any, settings: Settings, *, progress: bool, everything: bool = False,
               after_ingest: bool = True) -> dict[str, Any]:
    """Encode titles and queries and score reviews now (inline, batched); events were accepted already."""
    from tqdm import tqdm

    from ingest.text import TextPass, TextReport, mark_all_pending

    if everything:
        mark_all_pending(driver, settings)
    with tqdm(desc="text pass", unit="batch", disable=not progress, leave=False) as bar:
        def tick(total: TextReport) -> None:
            bar.update(1)
            bar.set_postfix(items=total.items, queries=total.queries, reviews=total.reviews)

        text = TextPass(driver, settings)
        try:
            done: dict[str, Any] = text.run(progress=tick).as_dict()
            if text.review_model_missing:
                print(f"interestgraph: warning: review texts stay pending: {text.review_model_missing}",
                      file=sys.stderr)
                done["reviews_pending"] = text.review_model_missing
            return done
        except ConfigError as e:
            if not after_ingest:
                raise
            # The events are in the graph already; what is left stays pending for the nlp workers.
            print(f"interestgraph: warning: text pass stopped: {e}; the events were ingested and their texts "
                  "stay pending (`interestgraph nlp pass` or the nlp workers finish them)", file=sys.stderr)
            return {**text.done.as_dict(), "error": str(e)}


def _follow(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from ingest.deadletter import DeadLetters
    from ingest.streams import StreamConsumer, StreamSpec

    spec = StreamSpec.parse(args.follow)
    started = time.perf_counter()
    with _driver(settings) as driver, DeadLetters(_dead_letter(args, settings)) as dead:
        consumer = StreamConsumer(spec, _writer(driver, settings, not args.no_embed), dead,
                                  group=args.group, batch_size=args.batch_size, block_ms=args.block_ms)
        if not args.json:
            print(f"following {spec.stream} as {consumer.consumer} in group {args.group} (Ctrl-C to stop)",
                  file=sys.stderr)
        try:
            total = consumer.drain(max_seconds=args.max_seconds, idle_exit_s=args.idle_exit)
        except KeyboardInterrupt:
            total = None
    seconds = time.perf_counter() - started
    out: dict[str, Any] = asdict(total) if total else {}
    out.update({"seconds": round(seconds, 2), "dead_letter": str(dead.path) if dead.count else None,
                "events_per_s": round((out.get("accepted", 0) + out.get("duplicates", 0)) / seconds, 1)})
    _emit(args, out, lambda p: _ingest_summary({"accepted": 0, "rejected": 0, "duplicates": 0, **p}))
    return 1 if out.get("rejected") else 0


def cmd_publish(args: argparse.Namespace, settings: Settings | None) -> None:
    from ingest.sources import Rejection, read_records
    from ingest.streams import StreamSpec, publish

    spec = StreamSpec.parse(args.stream)
    client = spec.client()
    sent = 0
    for path in args.paths:
        # Lines are published as they are; consumers validate and dead-letter them.
        records = (json.dumps(r, ensure_ascii=False) if not isinstance(r, Rejection) else r.raw
                   for _, r in read_records(Path(path)))
        sent += len(publish(client, spec.stream, records))
    _emit(args, {"published": sent, "stream": spec.stream},
          lambda p: f"published {p['published']} events to {p['stream']}")


def cmd_dataset(args: argparse.Namespace, settings: Settings) -> None:
    from ingest.datasets import movielens
    from ingest.pipeline import sync_records

    started = time.perf_counter()
    records = movielens.events()
    with _driver(settings) as driver:
        report = sync_records(movielens.NAME, records, _writer(driver, settings, not args.no_embed),
                              _dead_letter(args, settings),
                              batch_size=args.batch_size, progress=None if not args.json else False)
        load_seconds = time.perf_counter() - started
        text = None if args.no_text else _text_pass(driver, settings, progress=not args.json)
    out = {"dataset": movielens.NAME, **report.as_dict(), "load_seconds": round(load_seconds, 2), "text": text,
           "text_seconds": round(time.perf_counter() - started - load_seconds, 2)}
    _emit(args, out, lambda p: f"{p['dataset']}: " + _ingest_summary(p) + f" in {p['load_seconds']:.1f}s")


def cmd_bench(args: argparse.Namespace, settings: Settings) -> None:
    if args.what == "nlp":
        from bench.nlp import run as nlp

        _emit(args, nlp(settings, progress=not args.json), lambda p: json.dumps(p, indent=2))
        return
    if args.what == "freshness":
        from bench.freshness import run as freshness

        with _driver(settings) as driver:
            out = freshness(driver, settings, rates=args.rate or [500], duration=args.duration, users=args.users,
                            items=args.items, progress=not args.json)
        _emit(args, out, lambda p: json.dumps(p, indent=2))
        return
    if args.what == "inference":
        from bench.inference import run as inference

        with _driver(settings) as driver:
            out = inference(driver, settings, users=args.users, items=args.items, progress=not args.json)
        _emit(args, out, lambda p: json.dumps(p, indent=2))
        return
    if args.what == "ingest":
        from bench.ingest import run

        with _driver(settings) as driver:
            out = run(driver, settings, events_n=args.events, users=args.users, items=args.items,
                      batch_size=args.batch_size, baseline=not args.no_baseline, keep=args.keep,
                      progress=not args.json)
        _emit(args, out, lambda p: json.dumps(p, indent=2))


def _texts(args: argparse.Namespace) -> list[str]:
    texts = list(args.texts) if args.texts else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise InputError("give one or more TEXT arguments (or lines on standard input)")
    blank = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if blank:
        raise InputError(f"text {blank[0]} is blank; every TEXT must have content")
    return texts


def cmd_nlp(args: argparse.Namespace, settings: Settings | None) -> None:
    if settings is None:
        if args.action == "pass":
            Settings.from_env()  # raises the clear error about what is missing
        # Encoding, scoring and training need no Neo4j: only the device and the cache's home.
        settings = Settings.without_graph()
    if args.action == "fetch-encoder":
        from textenc.bge import ensure
        from textenc.encoders import bge_dir

        model_dir, built = ensure(bge_dir(), force=args.force)
        card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
        _emit(args, {"model_dir": str(model_dir), "built": built, **card},
              lambda p: f"text encoder {p['model']} {'converted into' if built else 'already at'} {p['model_dir']}"
                        + ("" if built else " (--force converts it again)"))
        return
    if args.action == "train":
        from tqdm import tqdm

        from textenc.sentiment import default_sentiment_dir, train

        out_dir = Path(args.out) if args.out else default_sentiment_dir()
        if (out_dir / "card.json").exists() and not args.force:
            card = json.loads((out_dir / "card.json").read_text(encoding="utf-8"))
            _emit(args, {"model_dir": str(out_dir), "built": False, **card},
                  lambda p: f"sentiment model already built at {p['model_dir']} "
                            f"(test accuracy {p['test_accuracy']}); --force rebuilds it")
            return
        with tqdm(desc="sentiment model", unit="step", disable=args.json) as bar:
            def tick(stage: str, step: int, total: int) -> None:
                bar.total = total
                bar.set_description(f"sentiment model ({stage})")
                bar.update(step - bar.n)

            card = train(out_dir, device=settings.device, progress=tick)
        _emit(args, {"model_dir": str(out_dir), "built": True, **card},
              lambda p: f"built {p['model_dir']}: test accuracy {p['test_accuracy']} "
                        f"on {p['test_size']} held-out reviews in {p['train_seconds']}s")
        return
    if args.action == "pass":
        with _driver(settings) as driver:
            out = _text_pass(driver, settings, progress=not args.json, everything=args.all, after_ingest=False)
        _emit(args, out, lambda p: ", ".join(f"{k} {v}" for k, v in p.items()))
        return
    texts = _texts(args)
    if args.action == "encode":
        from textenc.loaders import text_encoder

        enc = text_encoder(settings)
        vecs = enc.encode(texts)
        sims = (vecs @ vecs.T).round(4).tolist()
        _emit(args, {"model": enc.model_id, "dim": enc.dim, "vectors": vecs.round(6).tolist(),
                     "cosine": sims, "cache_hits": enc.hits, "cache_misses": enc.misses},
              lambda p: f"{p['model']} ({p['dim']}-d); cosine similarity:\n"
                        + _table([{"text": t[:40], **{str(j + 1): f"{v:.3f}" for j, v in enumerate(row)}}
                                  for t, row in zip(texts, p["cosine"], strict=True)],
                                 ["text", *[str(j + 1) for j in range(len(texts))]]))
        return
    from ingest.text import MIN_CJK_SHARE
    from textenc.loaders import sentiment_model
    from textenc.sentiment import cjk_share

    model = sentiment_model(settings)
    scores = model.scores(texts)
    rows = [{"text": t, "score": round(float(s), 4), "label": "positive" if s >= 0.5 else "negative",
             "language_supported": cjk_share(t) >= MIN_CJK_SHARE} for t, s in zip(texts, scores, strict=True)]
    _emit(args, {"model": model.model_id, "results": rows},
          lambda p: _table([{**r, "text": r["text"][:50]} for r in p["results"]],
                           ["score", "label", "language_supported", "text"]))


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
    result = refresh.apply_async(kwargs={"all_nodes": all_nodes, "debounce": False})
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


def cmd_train(args: argparse.Namespace, settings: Settings) -> None:
    from gnn.registry import STORED_EXTRA
    from gnn.train import TrainConfig, train_and_register

    cfg = TrainConfig(arch=args.model, max_epochs=args.epochs, seed=args.seed,
                      dim=settings.embedding_dim - STORED_EXTRA)
    with _driver(settings) as driver:
        out = train_and_register(driver, settings, cfg, prefix=args.prefix, activate=not args.no_activate,
                                 reembed=not args.no_refresh, progress=not args.json)
    _emit(args, out, lambda p: (f"trained {p['model']} in {p['seconds']}s on {p['examples']} next-item examples: "
                                f"val Recall@20 {p['val_recall@20']}, NDCG@20 {p['val_ndcg@20']} "
                                f"(best epoch {p['best_epoch']}{', refit on all' if p['refit'] else ''})"
                                + (f"; re-embedded {p['refresh']['users']} users, {p['refresh']['items']} items"
                                   if "refresh" in p else "")))


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> None:
    from bench.evaluate import run

    with _driver(settings) as driver:
        out = run(driver, settings, source=args.events or args.dataset, quantile=args.cut, epochs=args.epochs,
                  seed=args.seed, keep=args.keep, stream_limit=args.stream_limit, check_every=args.check_every,
                  progress=not args.json)
    _emit(args, out, lambda p: (f"{p['dataset']}: {p['past_events']} past events, {p['stream_events']} replayed, "
                                f"{p['scored_events']} scored ({p['cold_user_events']} from users unseen at the cut, "
                                f"{p['cold_item_events']} on items unseen at the cut), {p['seconds']}s\n"
                                + _table(p["methods"], ["method", "recall@20", "ndcg@20", "cold_items_recall@20"])
                                + f"\nper-event update: {p['per_event_update']['users_per_s']} users/s; "
                                  f"serve check: {p['serve_check']}"))


def cmd_recommend(args: argparse.Namespace, settings: Settings) -> None:
    from interestgraph import analyst
    from interestgraph.serve import recommend

    with _driver(settings) as driver:
        if args.why:  # the same vector-index answer, with the graph paths that support each item
            rows = analyst.run(driver, settings, "recommendations_explained", {"user_id": args.user_id, "k": args.k})
        else:
            rows = recommend(driver, settings, args.user_id, args.k)
    _emit(args, {"user_id": args.user_id, "items": rows},
          lambda p: f"Recommendations for user {p['user_id']}:\n" + _table(p["items"], ["item_id", "title", "score"])
          + ("\n" + "\n".join(_why(r) for r in p["items"]) if args.why and p["items"] else ""))


def _why(row: dict[str, Any]) -> str:
    """One line: why this item, as the analyst query's first path and its reasons."""
    if not row["paths"]:
        return f"  {row['item_id']}: near the shopper's recent items in the model's space (no graph path yet)"
    return f"  {row['item_id']}: {row['paths'][0]}  ({'; '.join(row['reasons'])})"


def cmd_similar(args: argparse.Namespace, settings: Settings) -> None:
    from interestgraph.serve import similar

    with _driver(settings) as driver:
        rows = similar(driver, settings, args.user_id, args.k)
    _emit(args, {"user_id": args.user_id, "users": rows},
          lambda p: f"Users similar to {p['user_id']}:\n" + _table(p["users"], ["user_id", "score"]))


def cmd_status(args: argparse.Namespace, settings: Settings) -> None:
    from gnn.registry import active_card
    from interestgraph.graph import read
    from workers.celery_app import app

    with _driver(settings) as driver:
        row = dict(read(driver, settings, "analyst/refresh_status", minutes=args.minutes)[0])
    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as e:  # noqa: BLE001 - the broker being down is a status, not a crash
        replies = [{"error": f"{type(e).__name__}: {e}"}]
    out = {**row, "window_minutes": args.minutes, "active_model": active_card(settings).tag,
           "workers": [name for reply in replies for name in reply if name != "error"],
           **({"broker_error": replies[0]["error"]} if replies and "error" in replies[0] else {})}
    _emit(args, out, lambda p: "\n".join(f"{k:>16}: {_fmt(v)}" for k, v in p.items()))


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


def cmd_query(args: argparse.Namespace, settings: Settings) -> None:
    import csv
    import io

    from interestgraph import analyst

    if not args.name:
        lib = analyst.library()
        _emit(args, {"queries": [{"name": q.name, "purpose": q.purpose, "returns": q.returns,
                                  "params": {p.name: p.type + ("" if p.required else f" = {p.default}")
                                             for p in q.params}} for q in lib]},
              lambda p: "\n".join(f"{q['name']}({', '.join(q['params'])})\n    {q['purpose']}" for q in p["queries"]))
        return
    with _driver(settings) as driver:
        rows = analyst.run(driver, settings, args.name, _params(args.param))
    columns = list(rows[0]) if rows else []
    cells = [{k: _cell(v) for k, v in r.items()} for r in rows]
    if args.csv:
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=columns)
            w.writeheader()
            w.writerows({k: _fmt(v) if isinstance(raw[k], int | float) else _csv_text(_fmt(v)) for k, v in r.items()}
                        for raw, r in zip(rows, cells, strict=True))
        print(buf.getvalue(), end="")
        return
    _emit(args, {"query": f"analyst/{analyst.describe(args.name).name}", "rows": rows},
          lambda p: _table(cells, columns))


def cmd_report(args: argparse.Namespace, settings: Settings) -> None:
    from reports.build import cohort_report, user_report, write

    if bool(args.user_id) == bool(args.segment or args.users):
        raise InputError("report needs a USER_ID, or --segment CATEGORY / --users ID,... for a cohort (not both)")
    if args.user_id:
        name = args.user_id
    else:
        cohort: dict[str, Any] = {"min_share": args.min_share}
        if args.segment:
            cohort["segment"] = args.segment
        if args.users:
            cohort["users"] = [u for u in args.users.split(",") if u]
        name = "cohort-" + (args.segment or "users")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    out = Path(args.out) if args.out else settings.home / "reports" / f"{safe}.html"
    with _driver(settings) as driver:
        report = (user_report(driver, settings, args.user_id, k=args.k, step_days=args.step_days) if args.user_id
                  else cohort_report(driver, settings, cohort, k=args.k, step_days=args.step_days))
    path = write(report, out)
    _emit(args, {"report": str(path), "title": report.title, "sections": [s.title for s in report.sections]},
          lambda p: f"{p['title']}: wrote {p['report']}")


def cmd_browser(args: argparse.Namespace, settings: Settings | None) -> None:
    from neo4j_local import browser_assets

    if args.action == "serve":
        from neo4j_local.launcher import port_free

        if not port_free(args.port):
            raise LocalServiceError(f"port {args.port} is already taken; is the asset server running already?")
        print(f"serving the Browser style and guide on http://localhost:{args.port}/ (Ctrl-C to stop)",
              file=sys.stderr, flush=True)
        try:
            browser_assets.serve(args.port)
        except KeyboardInterrupt:
            pass
        return
    print(browser_assets.guide() if args.action == "guide" else browser_assets.style(), end="")


def _csv_text(text: str) -> str:
    """A text cell a spreadsheet must not run as a formula gets a leading quote (numbers stay as they are)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(v: Any) -> str:
    # Lists, nodes and relationships from analyst queries, compact enough for a table cell.
    if isinstance(v, list):
        return "; ".join(_cell(x) for x in v)
    if isinstance(v, dict) and "labels" in v:
        return f"(:{':'.join(v['labels'])} {v.get('id', '')})"
    if isinstance(v, dict) and "type" in v:
        return f"[:{v['type']}" + (f" {_fmt(v['weight'])}" if "weight" in v else "") + "]"
    return _fmt(v)


def _params(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--param expects name=value, got {pair!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw  # a bare string such as an id or a date
    return out


def cmd_ledger(args: argparse.Namespace, settings: Settings) -> None:
    from ingest.ledger import prune

    with _driver(settings) as driver:
        before_ms = prune(driver, settings, args.days)
    _emit(args, {"pruned_before_ms": before_ms}, lambda p: f"ledger entries older than {args.days} days removed")


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

    i = sub.add_parser("ingest", help="ingest event files (JSON Lines or CSV, .gz too) or a Redis stream")
    i.add_argument("paths", nargs="*", metavar="PATH")
    i.add_argument("--follow", metavar="URL", help="consume redis://host:port/db/stream with a consumer group")
    i.add_argument("--group", default="interestgraph", help="--follow: the consumer group")
    i.add_argument("--idle-exit", type=float, default=None, metavar="S",
                   help="--follow: stop after S seconds without new entries")
    i.add_argument("--max-seconds", type=float, default=None, help="--follow: stop after this long")
    i.add_argument("--block-ms", type=_positive_int, default=200,
                   help="--follow: wait at most this long for new entries before writing a batch")
    i.add_argument("--no-embed", "--no-delta", dest="no_embed", action="store_true",
                   help="do not re-embed the users after each batch (the refresh backlog will)")
    i.add_argument("--dead-letter", metavar="FILE", help="where rejected lines go "
                   "(default $INTERESTGRAPH_HOME/dead-letter.jsonl)")
    i.add_argument("--batch-size", type=_positive_int, default=10000)
    i.add_argument("--no-text", action="store_true", help="leave titles, queries and reviews to the nlp workers")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_ingest)

    pb = sub.add_parser("publish", help="append event files to a Redis stream (producers' side)")
    pb.add_argument("paths", nargs="+", metavar="PATH")
    pb.add_argument("--stream", required=True, metavar="URL", help="redis://host:port/db/stream")
    pb.add_argument("--json", action="store_true")
    pb.set_defaults(func=cmd_publish, needs_settings=False)

    d = sub.add_parser("dataset", help="load a real data set shipped inside a package")
    d.add_argument("action", choices=["load"])
    d.add_argument("name", choices=["movielens-100k"])
    d.add_argument("--dead-letter", metavar="FILE")
    d.add_argument("--batch-size", type=_positive_int, default=10000)
    d.add_argument("--no-text", action="store_true", help="leave the titles to the nlp workers")
    d.add_argument("--no-embed", action="store_true", help="do not re-embed the users after each batch")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_dataset)

    b = sub.add_parser("bench", help="benchmarks; each prints one JSON object")
    b.add_argument("what", choices=["ingest", "freshness", "inference", "nlp"])
    b.add_argument("--rate", type=_positive_int, action="append", default=None,
                   help="freshness: events/s (repeat to find the highest sustainable rate; default 500)")
    b.add_argument("--duration", type=float, default=60.0, help="freshness: seconds of stream")
    b.add_argument("--events", type=_positive_int, default=100_000)
    b.add_argument("--users", type=_positive_int, default=20_000)
    b.add_argument("--items", type=_positive_int, default=10_000)
    b.add_argument("--batch-size", type=_positive_int, default=10000)
    b.add_argument("--no-baseline", action="store_true", help="skip the LOAD CSV baseline")
    b.add_argument("--keep", action="store_true", help="keep the benchmark's nodes afterwards")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)

    nl = sub.add_parser("nlp", help="text encoders, review sentiment and the text pass")
    nl.add_argument("action", choices=["encode", "sentiment", "train", "pass", "fetch-encoder"],
                    help="encode: vectors + cosine table; sentiment: P(positive) per text; train: build the "
                         "sentiment model; pass: encode/score what is pending in the graph now; fetch-encoder: "
                         "fetch bge-small-zh-v1.5 from Maven Central and convert it (once)")
    nl.add_argument("texts", nargs="*", metavar="TEXT", help="encode/sentiment: texts (default: lines on stdin)")
    nl.add_argument("--out", help="train: model directory (default ~/.cache/interestgraph/models/...)")
    nl.add_argument("--force", action="store_true", help="train, fetch-encoder: rebuild even if built")
    nl.add_argument("--all", action="store_true", help="pass: re-encode every text (after changing a model)")
    nl.add_argument("--json", action="store_true")
    nl.set_defaults(func=cmd_nlp, needs_settings=False)

    r = sub.add_parser("refresh", help="re-embed dirty (or all) users and items now")
    r.add_argument("--all", action="store_true", help="re-embed every user and item")
    r.add_argument("--in-process", action="store_true", help="run here instead of on a gnn worker")
    r.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the worker")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_refresh)

    q = sub.add_parser("query", help="run an analyst query from cypher/analyst/")
    q.add_argument("name", nargs="?", help="e.g. interest_profile_on; leave out to list the library")
    q.add_argument("--param", action="append", default=[], metavar="K=V", help="a query parameter (JSON or text)")
    fmt = q.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    q.set_defaults(func=cmd_query)

    rp = sub.add_parser("report", help="pictures: a shopper's or cohort's interests, neighbourhood, recommendations")
    rp.add_argument("user_id", nargs="?", metavar="USER_ID")
    rp.add_argument("--segment", metavar="CATEGORY", help="a cohort: shoppers for whom CATEGORY holds --min-share")
    rp.add_argument("--min-share", type=float, default=0.2, help="--segment: the share of interest (0..1)")
    rp.add_argument("--users", metavar="ID,...", help="a cohort of named users (with or without --segment)")
    rp.add_argument("--out", metavar="PATH", help="report.html or report.png "
                    "(default $INTERESTGRAPH_HOME/reports/<name>.html)")
    rp.add_argument("--k", type=_positive_int, default=10, help="rows per table")
    rp.add_argument("--step-days", type=_positive_int, default=1, help="days between trajectory points")
    rp.add_argument("--json", action="store_true")
    rp.set_defaults(func=cmd_report)

    br = sub.add_parser("browser", help="Neo4j Browser assets: serve the style and the analyst guide, or print one")
    br.add_argument("action", choices=["serve", "guide", "style"])
    br.add_argument("--port", type=_positive_int, default=7476)
    br.set_defaults(func=cmd_browser, needs_settings=False)

    lg = sub.add_parser("ledger", help="the exactly-once event ledger")
    lg.add_argument("action", choices=["prune"])
    lg.add_argument("--days", type=float, required=True, help="keep this many days of event ids")
    lg.add_argument("--json", action="store_true")
    lg.set_defaults(func=cmd_ledger)

    st = sub.add_parser("status", help="freshness: dirty backlog, refresh rate and lag, model, workers")
    st.add_argument("--minutes", type=_positive_int, default=5, help="the window for rates and percentiles")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    w = sub.add_parser("workers", help="check the Celery workers")
    w.add_argument("action", choices=["ping"])
    w.add_argument("--timeout", type=float, default=60.0)
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=cmd_workers, needs_settings=False)

    t = sub.add_parser("train", help="train a GIN or GCN on the graph, register it and re-embed")
    t.add_argument("--model", choices=["gin", "gcn"], default="gin")
    t.add_argument("--epochs", type=_positive_int, default=40, help="at most this many epochs (early stopping)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--prefix", default="", help="train on one id namespace only")
    t.add_argument("--no-activate", action="store_true", help="register without making it the active model")
    t.add_argument("--no-refresh", action="store_true", help="do not re-embed everything afterwards")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="replay real events as a live stream and compare every method")
    ev.add_argument("--dataset", choices=["movielens-100k"], default="movielens-100k")
    ev.add_argument("--events", metavar="PATH", help="any contract-v1 event file instead of --dataset")
    ev.add_argument("--cut", type=float, default=0.8, help="the past is this time quantile of the events")
    ev.add_argument("--epochs", type=_positive_int, default=40, help="at most this many epochs per model")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--check-every", "--chunk", dest="check_every", type=_positive_int, default=500,
                    help="events between the Neo4j train/serve checks")
    ev.add_argument("--keep", action="store_true", help="keep the evaluation namespace afterwards")
    ev.add_argument("--stream-limit", type=_positive_int, default=None, help="replay only the first N events")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_evaluate)

    for name, func, what in (("recommend", cmd_recommend, "items for a user"),
                             ("similar", cmd_similar, "users similar to a user")):
        c = sub.add_parser(name, help=what + ", from the vector index")
        c.add_argument("user_id")
        c.add_argument("--k", type=_positive_int, default=10)
        if name == "recommend":
            c.add_argument("--why", action="store_true",
                           help="one line per item with the graph path that supports it (and reasons/paths in --json)")
        c.add_argument("--json", action="store_true")
        c.set_defaults(func=func)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Library code logs; INTERESTGRAPH_LOG_LEVEL=INFO shows per-batch timings (stream batches, embedding).
    logging.basicConfig(level=os.environ.get("INTERESTGRAPH_LOG_LEVEL", "WARNING").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if getattr(args, "needs_settings", True):
            settings: Settings | None = Settings.from_env()
        else:
            try:
                settings = Settings.from_env()
            except InterestGraphError:
                settings = None
        code = args.func(args, settings)
    except InputError as e:
        print(f"interestgraph: {e}", file=sys.stderr)
        return 2
    except InterestGraphError as e:
        print(f"interestgraph {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interestgraph: interrupted", file=sys.stderr)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
