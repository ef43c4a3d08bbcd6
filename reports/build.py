"""Assemble a shopper's or a cohort's report from the analyst library and write it as HTML
(figures embedded as PNG, tables beside them) or as one PNG."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from matplotlib.axes import Axes
from neo4j import Driver

from interestgraph import analyst
from interestgraph.errors import InputError, NotFoundError
from interestgraph.settings import Settings
from reports import figures

FORMATS = (".html", ".png")


@dataclass
class Section:
    """One part of a report: a figure, a note under it and an optional table."""

    title: str
    draw: Callable[[Axes], None]
    columns: Sequence[str] = ()
    rows: Sequence[dict[str, Any]] = ()
    note: str = ""
    height: float = 4.2


@dataclass
class Report:
    """A titled list of sections, written as one HTML page or one PNG."""

    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)


def user_report(driver: Driver, settings: Settings, user_id: str, k: int = 10, step_days: int = 1) -> Report:
    """A shopper's interest trajectory, neighbourhood and recommendations with reasons."""
    def run(name: str, plain: bool = True, **params: Any) -> list[dict[str, Any]]:
        return analyst.run(driver, settings, name, {"user_id": user_id, **params}, plain=plain)

    profile = run("interest_profile", k=k)  # also raises NotFoundError for an unknown user
    trajectory = run("interest_trajectory", step_days=step_days)
    paths = run("user_neighbourhood", plain=False, k=k)
    try:
        recs = run("recommendations_explained", k=k)
        rec_note = ""
    except NotFoundError as e:
        recs, rec_note = [], str(e)
    similar = run("similar_users_explained", k=5, paths=2)

    report = Report(f"Interest report: {user_id}",
                    f"{len(profile)} interests, {len(similar)} similar shoppers, {len(recs)} recommendations")
    report.sections.append(Section(
        "Interest trajectory", lambda ax: figures.trajectory(ax, trajectory, f"{user_id}: interests over time"),
        ("category", "share", "weight_now", "events", "updated_at"), profile,
        "Daily profile from INTEREST_DAY, each contribution decayed to the end of the day; "
        "the table is the profile now (share of positive interest)."))
    report.sections.append(Section(
        "Neighbourhood", lambda ax: figures.neighbourhood(
            ax, [r["path"] for r in paths], user_id, f"{user_id}: interests, items and similar shoppers"),
        ("user_id", "score", "shared_items", "shared_categories", "reasons"), similar,
        "Edge width follows weight (similarity for SIMILAR_TO, dashed). Similar shoppers come from "
        "the embeddings; the reasons are the paths the graph holds between the two.", height=6.0))
    report.sections.append(Section(
        "Recommendations", lambda ax: figures.bars(
            ax, [f"{r['title'] or r['item_id']}" for r in recs], [r["score"] for r in recs],
            f"{user_id}: recommended items", "similarity score", empty=rec_note or "no recommendations"),
        ("item_id", "title", "score", "reasons"), recs,
        rec_note or "From the item vector index (as `interestgraph recommend`); reasons are supporting paths."))
    return report


def cohort_report(driver: Driver, settings: Settings, cohort: dict[str, Any], k: int = 10,
                  step_days: int = 1) -> Report:
    """A segment's mean interest trajectory, members and the items trending among them."""
    def run(name: str, **params: Any) -> list[dict[str, Any]]:
        return analyst.run(driver, settings, name, params)

    members = run("cohort_members", cohort=cohort, k=10_000)
    if not members:
        raise NotFoundError(f"the cohort {cohort} has no members; lower min_share or name users")
    trajectory = run("cohort_interest_trajectory", cohort=cohort, step_days=step_days)
    last = max((date.fromisoformat(str(r["day"])[:10]) for r in trajectory), default=datetime.now(UTC).date())
    window = {"from": (last - timedelta(days=29)).isoformat(), "to": last.isoformat()}
    trending = run("trending_in_community", cohort=cohort, k=k, **window)
    name = cohort.get("segment") or f"{len(cohort.get('users', []))} named users"
    report = Report(f"Cohort report: {name}",
                    f"{len(members)} members (segment share ≥ {cohort.get('min_share', 0.2)})"
                    if cohort.get("segment") else f"{len(members)} members")
    report.sections.append(Section(
        "Interest trajectory", lambda ax: figures.trajectory(ax, trajectory, f"{name}: mean interest per member",
                                                             "mean interest weight"),
        ("user_id", "segment_share", "top_category", "top_share"), members[:k],
        f"Mean daily profile of the {len(members)} members; the table lists the members most "
        "devoted to the segment."))
    report.sections.append(Section(
        "Trending in the community", lambda ax: figures.bars(
            ax, [str(r["title"] or r["item_id"]) for r in trending], [r["new_users"] for r in trending],
            f"{name}: members new to each item, {window['from']} to {window['to']}",
            "members acting for the first time"),
        ("item_id", "title", "users", "new_users", "reach", "score"), trending,
        "The 30 days up to the cohort's last active day."))
    return report


def write(report: Report, out: Path) -> Path:
    """Write ``report`` as ``.html`` (self-contained) or ``.png``; returns the path."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"the report's output path must end in {' or '.join(FORMATS)}, got {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png":
        fig, axes = figures.grid(len(report.sections))
        fig.suptitle(report.title, fontsize=14)
        for section, ax in zip(report.sections, axes, strict=True):
            section.draw(ax)
        fig.tight_layout(rect=(0, 0, 1, 0.98))
        out.write_bytes(figures.png(fig))
        return out
    out.write_text(_html(report), encoding="utf-8")
    return out


def _html(report: Report) -> str:
    parts = []
    for s in report.sections:
        fig, ax = figures.figure(height=s.height)
        s.draw(ax)
        img = base64.b64encode(figures.png(fig)).decode("ascii")
        parts.append(f"<section><h2>{html.escape(s.title)}</h2>"
                     f'<img alt="{html.escape(s.title)}" src="data:image/png;base64,{img}">'
                     f"<p class=\"note\">{html.escape(s.note)}</p>{_table(s.columns, s.rows)}</section>")
    page = Template(resources.files("reports").joinpath("report.html").read_text("utf-8"))
    return page.substitute(title=html.escape(report.title), subtitle=html.escape(report.subtitle),
                           generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), body="\n".join(parts))


def _table(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    if not columns or not rows:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, list):
        return "; ".join(map(_cell, v))
    return "" if v is None else str(v)
