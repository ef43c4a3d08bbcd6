"""What every command prints: one JSON object with ``--json``, else a rendering for people.

``--json`` keeps every digit; people get floats to 4 significant digits (:func:`fmt`) and
rich tables (which measure CJK titles as two columns per character).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON object (for scripts)")]

# What a human rendering may return: text (printed as it is), a rich renderable, or a list of them.
Human = str | RenderableType | Sequence[Any]

WIDE = 100_000  # columns when stdout is not a terminal: pipes and files get unwrapped rows


def to_json(payload: Any) -> str:
    """The one-line JSON text scripts read (UTF-8 as it is; dates and paths as strings)."""
    return json.dumps(payload, ensure_ascii=False, default=str)


def emit(as_json: bool, payload: Any, human: Callable[[Any], Human]) -> None:
    """Print ``payload`` as one JSON object (``--json``), or ``human(payload)`` for people."""
    if as_json:
        print(to_json(payload))
    else:
        show(human(payload))


def show(rendered: Human) -> None:
    """Print text as it is (no markup), rich renderables through a console, lists in order."""
    if isinstance(rendered, str):
        print(rendered)
    elif isinstance(rendered, Sequence):
        for part in rendered:
            show(part)
    else:
        console().print(rendered)


def console() -> Console:
    """A console on the current stdout; unwrapped (and uncoloured) when stdout is not a terminal."""
    out = sys.stdout
    tty = out.isatty()
    return Console(file=out, width=None if tty else WIDE, highlight=False, markup=False, emoji=False,
                   soft_wrap=not tty)


def table(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> RenderableType:
    """Rows as a table: a header line, a rule, one line per row; ``(no rows)`` when empty."""
    rows = list(rows)
    if not rows:
        return "(no rows)"
    t = Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for r in rows:
        t.add_row(*(Text(fmt(r.get(c))) for c in columns))
    return t


def fmt(v: Any) -> str:
    """A cell for people: floats to 4 significant digits (``--json`` keeps every digit)."""
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 10_000 else f"{v:.4g}"
    return "" if v is None else str(v)


def cell(v: Any) -> str:
    """Lists, nodes and relationships from analyst queries, compact enough for a table cell."""
    if isinstance(v, list):
        return "; ".join(cell(x) for x in v)
    if isinstance(v, dict) and "labels" in v:
        return f"(:{':'.join(v['labels'])} {v.get('id', '')})"
    if isinstance(v, dict) and "type" in v:
        return f"[:{v['type']}" + (f" {fmt(v['weight'])}" if "weight" in v else "") + "]"
    return fmt(v)


def csv_text(text: str) -> str:
    """A text cell a spreadsheet must not run as a formula gets a leading quote (numbers stay as they are)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(rows: Sequence[dict[str, Any]]) -> str:
    """Analyst rows as CSV: a header, then cells as in tables; text cells neutralised (:func:`csv_text`)."""
    import csv
    import io

    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: cell(v) if isinstance(v, int | float) else csv_text(cell(v)) for k, v in r.items()}
                    for r in rows)
    return buf.getvalue()
