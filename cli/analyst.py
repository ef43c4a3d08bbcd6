"""For analysts: ``query`` (the Cypher library in cypher/analyst/) and ``report`` (pictures)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import Command, driver, positive_int, settings
from cli.output import JsonFlag, cell, csv_rows, emit, table
from interestgraph.errors import InputError

# A report's default file name holds at most this many bytes of its user's id (file names end at 255).
NAME_BYTES = 100


def query(name: Annotated[str | None, typer.Argument(
              metavar="NAME", help="e.g. interest_profile_on; leave out to list the library")] = None,
          param: Annotated[list[str], typer.Option(
              "--param", metavar="K=V", help="a query parameter (JSON or text)")] = [],  # noqa: B006 - Typer copies
          as_json: JsonFlag = False,
          as_csv: Annotated[bool, typer.Option("--csv", help="print CSV (not with --json)")] = False) -> None:
    """Run a named analyst query and print its rows (a table, CSV or JSON), or list the library."""
    from interestgraph import analyst

    if as_json and as_csv:
        raise typer.BadParameter("not allowed with --json", param_hint="'--csv'")
    s = settings()
    if not name:
        emit(as_json, {"queries": [{"name": q.name, "purpose": q.purpose, "returns": q.returns,
                                    "params": {p.name: p.type + ("" if p.required else f" = {p.default}")
                                               for p in q.params}} for q in analyst.library()]},
             lambda p: "\n".join(f"{q['name']}({', '.join(q['params'])})\n    {q['purpose']}" for q in p["queries"]))
        return
    with driver(s) as d:
        rows = analyst.run(d, s, name, params(param))
    if as_csv:
        print(csv_rows(rows), end="")
        return
    columns = list(rows[0]) if rows else []
    emit(as_json, {"query": f"analyst/{analyst.describe(name).name}", "rows": rows},
         lambda p: table([{k: cell(v) for k, v in r.items()} for r in p["rows"]], columns))


def params(pairs: Sequence[str]) -> dict[str, Any]:
    """``--param name=value`` pairs; a value is JSON when it parses, else the text itself."""
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


def report(user_id: Annotated[str | None, typer.Argument(metavar="USER_ID")] = None,
           segment: Annotated[str | None, typer.Option(
               "--segment", metavar="CATEGORY",
               help="a cohort: shoppers for whom CATEGORY holds --min-share")] = None,
           min_share: Annotated[float, typer.Option(
               "--min-share", help="--segment: the share of interest (0..1)")] = 0.2,
           users: Annotated[str | None, typer.Option(
               "--users", metavar="ID,...", help="a cohort of named users (with or without --segment)")] = None,
           out: Annotated[str | None, typer.Option(
               "--out", metavar="PATH",
               help="report.html or report.png (default $INTERESTGRAPH_HOME/reports/<name>.html)")] = None,
           k: Annotated[int, typer.Option("--k", parser=positive_int, help="rows per table")] = 10,
           step_days: Annotated[int, typer.Option(
               "--step-days", parser=positive_int, help="days between trajectory points")] = 1,
           as_json: JsonFlag = False) -> None:
    """Build a shopper's or a cohort's report and write it as HTML or PNG."""
    from reports.build import cohort_report, user_report, write

    s = settings()
    if bool(user_id) == bool(segment or users):
        raise InputError("report needs a USER_ID, or --segment CATEGORY / --users ID,... for a cohort (not both)")
    cohort: dict[str, Any] = {"min_share": min_share}
    if segment:
        cohort["segment"] = segment
    if users:
        cohort["users"] = [u for u in users.split(",") if u]
    name = user_id or "cohort-" + (segment or "users")
    with driver(s) as d:
        built = (user_report(d, s, user_id, k=k, step_days=step_days) if user_id
                 else cohort_report(d, s, cohort, k=k, step_days=step_days))
    path = write(built, Path(out) if out else s.home / "reports" / report_file_name(name))
    emit(as_json, {"report": str(path), "title": built.title, "sections": [x.title for x in built.sections]},
         lambda p: f"{p['title']}: wrote {p['report']}")


def report_file_name(name: str) -> str:
    """The default file name of ``name``'s report (a user id or a cohort's name).

    Its letters, digits, ``-``, ``_`` and ``.`` (others become ``_``), at most ``NAME_BYTES``
    bytes of them, so a 256-character id stays under the file system's 255-byte limit; when
    anything was cut or replaced, a hash of the whole name follows, so two names never share a
    file.
    """
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    if safe == name and len(safe.encode("utf-8")) <= NAME_BYTES:
        return f"{safe}.html"
    cut = safe.encode("utf-8")[:NAME_BYTES].decode("utf-8", "ignore")
    return f"{cut}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.html"


COMMANDS: list[Command] = [
    ("query", "run an analyst query from cypher/analyst/", query),
    ("report", "pictures: a shopper's or cohort's interests, neighbourhood, recommendations", report),
]

