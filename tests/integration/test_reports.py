"""`interestgraph report`: a shopper's and a cohort's pictures, from a graph this module ingests."""

from __future__ import annotations

import base64
import re
import uuid

import numpy as np
import pytest
from matplotlib import image as mpimg

from cli.app import main
from gnn.refresh import refresh_similar
from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph.errors import InputError, NotFoundError
from reports import figures
from reports.build import cohort_report, user_report, write

DAY = 86_400_000
T0 = 1_793_000_000_000 - 1_793_000_000_000 % DAY + 12 * 3_600_000


@pytest.fixture(scope="module")
def shop(driver, settings, tmp_path_factory):
    p = f"t{uuid.uuid4().hex[:10]}-"
    recs = []
    for n, (u, kind, item, cat, d) in enumerate([
        ("a", "purchase", "shoe", "sports", 0), ("a", "view", "novel", "books", 3),
        ("a", "purchase", "novel", "books", 5),
        ("b", "view", "shoe", "sports", 0), ("b", "click", "novel", "books", 4), ("b", "view", "pan", "kitchen", 5),
    ]):
        recs.append({"event_id": f"{p}{n}", "user_id": f"{p}{u}", "type": kind, "ts": T0 + d * DAY,
                     "item_id": f"{p}{item}",
                     "item": {"title": f"<b>{item}</b> 标题 $\\foo$", "category": f"{p}{cat}"}})
    sync_records("t", recs, GraphWriter(driver, settings), tmp_path_factory.mktemp("dl") / "d.jsonl", progress=False)
    rng = np.random.default_rng()
    base = rng.normal(size=settings.embedding_dim)
    for node in ("a", "b", "pan"):
        driver.execute_query(
            "MATCH (n {id: $id}) WHERE n:User OR n:Item CALL db.create.setNodeVectorProperty(n, 'embedding', $v) "
            "SET n.dirty_since = null", id=f"{p}{node}", v=[float(x) for x in base / np.linalg.norm(base)])
    refresh_similar(driver, settings, [f"{p}a"], k=1)
    return p


def _pngs(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_user_report_html_has_pictures_and_reasons(driver, settings, shop, tmp_path):
    p = shop
    report = user_report(driver, settings, f"{p}a")
    assert [s.title for s in report.sections] == ["Interest trajectory", "Neighbourhood", "Recommendations"]
    trajectory, neighbourhood, recs = report.sections
    assert [r["category"] for r in trajectory.rows] == [f"{p}books", f"{p}sports"]
    assert [r["user_id"] for r in neighbourhood.rows] == [f"{p}b"]
    assert recs.rows[0]["item_id"] == f"{p}pan"  # a's exact vector twin, not yet bought
    assert f"similar shopper {p}b viewed it" in recs.rows[0]["reasons"]

    out = write(report, tmp_path / "a.html")
    page = out.read_text(encoding="utf-8")
    assert page.count("<section>") == 3 and "<h1>Interest report: " in page
    assert "&lt;b&gt;pan&lt;/b&gt; 标题" in page and "<b>pan</b>" not in page  # data is escaped
    assert "$\\foo$" in page  # drawn as typed: mathtext is off, so the title cannot break the figure
    images = _pngs(page)
    assert len(images) == 3 and all(img.startswith(b"\x89PNG\r\n\x1a\n") for img in images)


def test_stacked_area_holds_the_categories(driver, settings, shop):
    from interestgraph.analyst import run

    rows = run(driver, settings, "interest_trajectory", {"user_id": f"{shop}a"})
    days, series = figures.top_series(rows, top=1)
    assert len(days) == 6  # day 0 to day 5
    # sports held all six days, books only the last three: books folds into "other".
    assert list(series) == [f"{shop}sports", figures.OTHER]
    assert series[f"{shop}sports"][0] == pytest.approx(8.0 * 2 ** (-0.5 / settings.half_life_days))
    assert series[figures.OTHER][0] == 0.0 and series[figures.OTHER][-1] > 8.0


def test_user_report_png_and_cli(driver, settings, shop, tmp_path, capsys):
    out = tmp_path / "a.png"
    assert main(["report", f"{shop}a", "--out", str(out), "--json"]) == 0
    assert f'"report": "{out}"' in capsys.readouterr().out
    img = mpimg.imread(out)
    assert img.shape[0] > 1000 and img.shape[1] > 800  # three stacked panels
    assert img[..., :3].std() > 0.05  # not a blank canvas
    assert main(["report", f"{shop}nobody", "--out", str(tmp_path / "x.html")]) == 2
    assert f"no user with id '{shop}nobody'" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    assert main(["report", f"{shop}a", "--out", str(tmp_path / "a.pdf")]) == 2
    assert "output path must end in .html or .png" in capsys.readouterr().err
    assert main(["report", f"{shop}a", "--segment", "x"]) == 2
    assert "not both" in capsys.readouterr().err


def test_report_without_embedding_says_why(driver, settings, shop, tmp_path):
    driver.execute_query("MERGE (u:User {id: $id})", id=f"{shop}fresh")
    report = user_report(driver, settings, f"{shop}fresh")
    assert report.sections[2].rows == [] and "has no embedding yet" in report.sections[2].note
    assert report.sections[0].rows == []
    assert write(report, tmp_path / "fresh.png").stat().st_size > 0


def test_cohort_report(driver, settings, shop, tmp_path, capsys):
    p = shop
    report = cohort_report(driver, settings, {"segment": f"{p}books", "min_share": 0.55})
    members, trending = report.sections[0].rows, report.sections[1].rows
    assert [m["user_id"] for m in members] == [f"{p}a"]
    assert [(r["item_id"], r["users"], r["new_users"]) for r in trending] == [(f"{p}novel", 1, 1), (f"{p}shoe", 1, 1)]
    page = write(report, tmp_path / "books.html").read_text(encoding="utf-8")
    assert "Cohort report: " + p + "books" in page and len(_pngs(page)) == 2
    assert main(["report", "--users", f"{p}a,{p}b", "--out", str(tmp_path / "ab.png")]) == 0
    assert (tmp_path / "ab.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(NotFoundError, match="no members"):
        cohort_report(driver, settings, {"segment": f"{p}kitchen", "min_share": 0.99})
    with pytest.raises(InputError, match="segment"):
        cohort_report(driver, settings, {"min_share": 0.5})
