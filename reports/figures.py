"""Matplotlib figures for the reports (Agg backend: no display needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

# The backend is chosen before pyplot is imported.
import matplotlib.dates
import matplotlib.pyplot as plt
import networkx as nx
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# Titles are often Chinese: fall back to a CJK font when one is installed (make installs
# fonts-wqy-microhei); matplotlib picks per glyph from this list.
_FAMILIES = ["DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Droid Sans Fallback"]
_CJK_FILES = ("wqy-microhei", "notosanscjk", "droidsansfallback")
_installed = {f.name for f in font_manager.fontManager.ttflist}
if not _installed & set(_FAMILIES[1:]):
    # matplotlib's font cache predates a CJK font installed later: register the files directly.
    for _path in font_manager.findSystemFonts():
        if any(key in Path(_path).name.lower() for key in _CJK_FILES):
            font_manager.fontManager.addfont(_path)
    _installed = {f.name for f in font_manager.fontManager.ttflist}
plt.rcParams["font.family"] = [f for f in _FAMILIES if f in _installed] or ["DejaVu Sans"]
# Titles and ids are data: "$\foo$" must print as typed, not be parsed as mathtext.
plt.rcParams["text.parse_math"] = False

# One colour per node label, the same as the Browser style (cypher/browser/style.grass).
LABEL_COLOURS = {"User": "#4C8EDA", "Item": "#F79767", "Category": "#57C7E3", "Query": "#C990C0"}
EDGE_COLOURS = {"INTERESTED_IN": "#2E86AB", "SIMILAR_TO": "#888888"}  # behaviour edges: orange
OTHER = "other"


def png(fig: Figure, dpi: int = 110) -> bytes:
    """``fig`` as PNG bytes; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def top_series(rows: Sequence[dict[str, Any]], top: int = 8) -> tuple[list[date], dict[str, list[float]]]:
    """(day, category, weight) rows as one series per category, the weakest folded into 'other'.

    Negative weights (interest lowered by bad reviews) are drawn as zero: a stack cannot
    hold them, and the profile tables show them.
    """
    days = sorted({_as_date(r["day"]) for r in rows})
    index = {d: i for i, d in enumerate(days)}
    series: dict[str, list[float]] = {}
    for r in rows:
        name = str(r.get("name") or r["category"])
        series.setdefault(name, [0.0] * len(days))[index[_as_date(r["day"])]] += max(float(r["weight"]), 0.0)
    ranked = sorted(series, key=lambda k: -sum(series[k]))
    keep = {k: series[k] for k in ranked[:top]}
    rest = ranked[top:]
    if rest:
        keep[OTHER] = [sum(series[k][i] for k in rest) for i in range(len(days))]
    return days, keep


def _as_date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def trajectory(ax: Axes, rows: Sequence[dict[str, Any]], title: str, ylabel: str = "interest weight") -> None:
    """Draw interest over time as a stacked area per category (a stacked bar for a single day)."""
    days, series = top_series(rows)
    if not days:
        _empty(ax, title, "no interest history yet")
        return
    labels = list(series)
    x = matplotlib.dates.date2num(days)  # dates as matplotlib's float days (typed for the plotting calls)
    palette = [plt.get_cmap("tab10")(i) for i in range(10)]
    colours = [palette[i % len(palette)] if k != OTHER else "#BBBBBB" for i, k in enumerate(labels)]
    if len(days) == 1:  # one active day: an area needs two points, so stack a single bar
        bottom = 0.0
        for k, colour in zip(labels, colours, strict=True):
            ax.bar([x[0]], [series[k][0]], bottom=bottom, color=colour, label=k, width=0.8)
            bottom += series[k][0]
    else:
        ax.stackplot(x, [series[k] for k in labels], labels=labels, alpha=0.85, colors=colours)
        ax.margins(x=0)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", fontsize=8, ncols=2, frameon=False)
    ax.xaxis_date()
    ax.tick_params(axis="x", labelrotation=30)


def neighbourhood(ax: Axes, paths: Sequence[Any], centre: str, title: str) -> None:
    """Draw driver Paths (from analyst/user_neighbourhood) as a graph, edge width by weight."""
    g = nx.DiGraph()
    for path in paths:
        for node in path.nodes:
            label = next(iter(sorted(node.labels)), "?")
            g.add_node(node.element_id, label=label, caption=_caption(node, label))
        for rel in path.relationships:
            weight = float(rel.get("weight", rel.get("score", 1.0)) or 0.0)
            g.add_edge(rel.start_node.element_id, rel.end_node.element_id, type=rel.type, weight=weight)
    if not g:
        _empty(ax, title, "no neighbours yet")
        return
    pos = nx.spring_layout(g, seed=7, k=1.2 / max(1, len(g)) ** 0.5)
    top = max((abs(d["weight"]) for _, _, d in g.edges(data=True)), default=1.0) or 1.0
    for kind in ("INTERESTED_IN", "SIMILAR_TO", None):
        edges = [(a, b) for a, b, d in g.edges(data=True)
                 if (d["type"] == kind if kind else d["type"] not in ("INTERESTED_IN", "SIMILAR_TO"))]
        nx.draw_networkx_edges(g, pos, ax=ax, edgelist=edges, arrows=True, alpha=0.6,
                               width=[0.6 + 5.0 * abs(g.edges[e]["weight"]) / top for e in edges],
                               style="dashed" if kind == "SIMILAR_TO" else "solid",
                               edge_color=EDGE_COLOURS.get(kind or "", "#E07A5F"))
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=[900 if g.nodes[n]["caption"] == centre else 420 for n in g],
                           node_color=[LABEL_COLOURS.get(g.nodes[n]["label"], "#A5ABB6") for n in g])
    nx.draw_networkx_labels(g, pos, ax=ax, labels={n: g.nodes[n]["caption"] for n in g}, font_size=7,
                            font_family=plt.rcParams["font.family"])
    ax.set_title(title)
    ax.axis("off")


def _caption(node: Any, label: str) -> str:
    text = str(node.get("title") or node.get("name") or node.get("id") or "?")
    return text if len(text) <= 22 else text[:21] + "…"


def bars(ax: Axes, labels: Sequence[str], values: Sequence[float], title: str, xlabel: str,
         empty: str = "nothing to show") -> None:
    """Horizontal bars, first label on top; ``empty`` is said when there are no labels."""
    if not labels:
        _empty(ax, title, empty)
        return
    y = list(range(len(labels)))[::-1]
    ax.barh(y, values, color="#F79767")
    ax.set_yticks(y, [lb if len(lb) <= 40 else lb[:39] + "…" for lb in labels], fontsize=8)
    ax.set_title(title)
    ax.set_xlabel(xlabel)


def _empty(ax: Axes, title: str, message: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#777777")
    ax.axis("off")


def figure(width: float = 9.0, height: float = 4.2) -> tuple[Figure, Axes]:
    """A new figure with one set of axes."""
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def grid(rows: int, width: float = 10.0, height_each: float = 4.2) -> tuple[Figure, list[Axes]]:
    """A new figure with ``rows`` sets of axes stacked vertically."""
    fig, axes = plt.subplots(rows, 1, figsize=(width, height_each * rows))
    return fig, list(axes)
