"""Every query of the analyst library (cypher/analyst/) against a small graph this module
ingests under its own id prefix, with the expected answers worked out from the events."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime

import numpy as np
import pytest

from cli.app import main
from gnn.refresh import refresh_similar
from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph import analyst
from interestgraph.constants import DAY_MS, TYPE_WEIGHT
from interestgraph.errors import InputError, NotFoundError

DAY = DAY_MS
T0 = 1_793_000_000_000 - 1_793_000_000_000 % DAY + 12 * 3_600_000  # noon UTC, 2026-10-26
WEIGHT = {t.value: w for t, w in TYPE_WEIGHT.items()}


def day(n: int) -> str:
    return datetime.fromtimestamp((T0 + n * DAY) / 1000, UTC).date().isoformat()


@pytest.fixture(scope="module")
def g(driver, settings, tmp_path_factory):
    """The graph: a and b like sports, c likes books, d kitchen; s only searches, x acts on an
    item without a category, n only left a bad review, ghost and an empty category are hand-made."""
    p = f"t{uuid.uuid4().hex[:10]}-"
    cat = {"shoe": "sports", "ball": "sports", "book1": "books", "book2": "books", "pan": "kitchen"}
    plan = [  # (user, type, item, day, minute)
        ("a", "purchase", "shoe", 0, 0), ("a", "view", "ball", 0, 1), ("a", "view", "book1", 2, 0),
        ("a", "view", "ball", 2, 5),
        ("b", "view", "shoe", 0, 2), ("b", "purchase", "ball", 1, 0), ("b", "click", "book1", 2, 1),
        ("c", "purchase", "book1", 1, 3), ("c", "purchase", "book2", 3, 0), ("c", "view", "pan", 3, 1),
        ("d", "purchase", "pan", 4, 0), ("d", "view", "book2", 4, 1), ("b", "view", "book2", 4, 2),
        ("x", "view", "mystery", 1, 0),
    ]
    recs: list[dict] = []
    for n, (u, kind, item, d, minute) in enumerate(plan):
        rec = {"event_id": f"{p}e{n}", "user_id": f"{p}{u}", "type": kind, "ts": T0 + d * DAY + minute * 60_000,
               "item_id": f"{p}{item}"}
        if item in cat:
            rec["item"] = {"title": f"{item} title", "category": f"{p}{cat[item]}"}
        recs.append(rec)
    recs.append({"event_id": f"{p}s", "user_id": f"{p}s", "type": "search", "ts": T0, "query": f"{p} running shoes"})
    recs.append({"event_id": f"{p}n", "user_id": f"{p}n", "type": "review", "ts": T0 + DAY, "item_id": f"{p}shoe",
                 "rating": 1})
    report = sync_records("t", recs, GraphWriter(driver, settings), tmp_path_factory.mktemp("dl") / "d.jsonl",
                          progress=False)
    assert report.accepted == len(recs)
    driver.execute_query("CREATE (:User {id: $p + 'ghost'}), (:Category {id: $p + 'empty', name: 'empty'})", p=p)
    # Hand-set vectors (fresh per run, so no other run's nodes tie with them) drive SIMILAR_TO
    # and the recommendations: a and b are twins; book2 is a's exact match, pan a near one
    # (recommendations leave out what a already has: the shoe, the ball and book1).
    rng = np.random.default_rng()
    base = rng.normal(size=settings.embedding_dim)
    near = base + 0.05 * rng.normal(size=settings.embedding_dim)
    vectors = {"a": base, "b": base, "book2": base, "shoe": base, "ball": base, "pan": near}
    for node, vec in vectors.items():
        driver.execute_query(
            "MATCH (n {id: $id}) WHERE n:User OR n:Item "
            "CALL db.create.setNodeVectorProperty(n, 'embedding', $v) "
            "SET n.embedding_model = 'test:hand', n.dirty_since = null",  # dirty ones a refresh would overwrite
            id=f"{p}{node}", v=[float(x) for x in vec / np.linalg.norm(vec)])
    refresh_similar(driver, settings, [f"{p}a"], k=1)
    return {"p": p, "plan": plan, "cat": cat}


def q(driver, settings, name, **params):
    return analyst.run(driver, settings, name, params)


def decayed_interest(g, user: str, ref_ms: int, h: float, upto_day: int | None = None) -> dict[str, float]:
    """A user's interest per category from the plan, decayed to ref_ms (the model in the README)."""
    out: dict[str, float] = {}
    for u, kind, item, d, minute in g["plan"]:
        if u == user and item in g["cat"] and (upto_day is None or d <= upto_day):
            at = T0 + d * DAY + minute * 60_000
            key = g["p"] + g["cat"][item]
            out[key] = out.get(key, 0.0) + WEIGHT[kind] * 2 ** (-(ref_ms - at) / h)
    return out


def shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(w for w in weights.values() if w > 0)
    return {k: max(w, 0.0) / total for k, w in weights.items()}


def last_ms(g, user: str) -> int:
    return max(T0 + d * DAY + m * 60_000 for u, _, item, d, m in g["plan"] if u == user and item in g["cat"])


def test_interest_profile_now(driver, settings, g):
    p, h = g["p"], settings.half_life_ms
    rows = q(driver, settings, "interest_profile", user_id=f"{p}a")
    expected = shares(decayed_interest(g, "a", last_ms(g, "a"), h))
    assert [r["category"] for r in rows] == [f"{p}sports", f"{p}books"]
    for r in rows:
        assert math.isclose(r["share"], expected[r["category"]], rel_tol=1e-9)
        assert 0 < r["weight_now"] < r["weight"] + 1e-9  # decayed from the past to now
    assert math.isclose(sum(r["share"] for r in rows), 1.0)


def test_trajectory_matches_the_profile_on_each_day(driver, settings, g):
    p, h = g["p"], settings.half_life_ms
    rows = q(driver, settings, "interest_trajectory", user_id=f"{p}a")
    assert sorted({r["day"] for r in rows}) == [day(0), day(1), day(2)]
    for r in rows:
        on = {x["category"]: x["weight"] for x in q(driver, settings, "interest_profile_on", user_id=f"{p}a",
                                                     date=r["day"])}
        assert math.isclose(r["weight"], on[r["category"]], rel_tol=1e-9)
    end2 = T0 - T0 % DAY + 3 * DAY
    expected = decayed_interest(g, "a", end2, h)
    last = {r["category"]: r["weight"] for r in rows if r["day"] == day(2)}
    assert last.keys() == expected.keys()
    for k, w in expected.items():
        assert math.isclose(last[k], w, rel_tol=1e-9)
    stepped = q(driver, settings, "interest_trajectory", user_id=f"{p}a", step_days=2)
    assert sorted({r["day"] for r in stepped}) == [day(0), day(2)]


def test_cohorts_members_movers_affinity_and_trajectory(driver, settings, g):
    p, h = g["p"], settings.half_life_ms
    sports = {"segment": f"{p}sports", "min_share": 0.5}
    books = {"segment": f"{p}books", "min_share": 0.5}
    members = q(driver, settings, "cohort_members", cohort=sports)
    assert {r["user_id"] for r in members} == {f"{p}a", f"{p}b"}  # n's only sports interest is negative
    assert all(r["top_category"] == f"{p}sports" and r["segment_share"] >= 0.5 for r in members)
    assert {r["user_id"] for r in q(driver, settings, "cohort_members", cohort=books)} == {f"{p}c"}
    mixed = q(driver, settings, "cohort_members", cohort={**books, "users": [f"{p}d"]})
    assert {r["user_id"] for r in mixed} == {f"{p}c", f"{p}d"}

    aff = {r["category"]: r for r in q(driver, settings, "category_affinity", cohort_a=sports, cohort_b=books)}
    share = {u: shares(decayed_interest(g, u, last_ms(g, u), h)) for u in "abc"}
    books_a = (share["a"][f"{p}books"] + share["b"][f"{p}books"]) / 2
    assert math.isclose(aff[f"{p}books"]["share_a"], books_a, rel_tol=1e-9)
    assert math.isclose(aff[f"{p}books"]["share_b"], share["c"][f"{p}books"], rel_tol=1e-9)
    assert math.isclose(aff[f"{p}books"]["lift"], books_a / share["c"][f"{p}books"], rel_tol=1e-9)
    assert aff[f"{p}sports"]["share_b"] == 0.0 and aff[f"{p}sports"]["lift"] is None
    assert (aff[f"{p}sports"]["members_a"], aff[f"{p}sports"]["members_b"]) == (2, 1)

    movers = {r["category"]: r for r in q(driver, settings, "cohort_interest_movers", cohort=sports,
                                          **{"from": day(0), "to": day(2)})}
    for cat in (f"{p}sports", f"{p}books"):
        per_user = [{r["category"]: r["change"] for r in q(driver, settings, "interest_movers", user_id=f"{p}{u}",
                                                          **{"from": day(0), "to": day(2)})}.get(cat, 0.0)
                    for u in "ab"]
        assert math.isclose(movers[cat]["change"], sum(per_user) / 2, rel_tol=1e-9)
    assert movers[f"{p}books"]["before"] == 0.0 and movers[f"{p}books"]["change"] > 0

    traj = q(driver, settings, "cohort_interest_trajectory", cohort=sports)
    assert {r["members"] for r in traj} == {2}
    at_end = {r["category"]: r["weight"] for r in traj if r["day"] == day(2)}
    for cat, w in at_end.items():
        each = [{x["category"]: x["weight"] for x in q(driver, settings, "interest_profile_on", user_id=f"{p}{u}",
                                                       date=day(2))}.get(cat, 0.0) for u in "ab"]
        assert math.isclose(w, sum(each) / 2, rel_tol=1e-9)


def test_trending_in_community_separates_new_from_returning(driver, settings, g):
    p = g["p"]
    rows = q(driver, settings, "trending_in_community", cohort={"segment": f"{p}sports", "min_share": 0.5},
             **{"from": day(1), "to": day(2)})
    got = [(r["item_id"], r["users"], r["new_users"], r["reach"]) for r in rows]
    # book1: a and b both first touched it on day 2; ball: b is new on day 1, a returned on day 2.
    assert got == [(f"{p}book1", 2, 2, 1.0), (f"{p}ball", 2, 1, 1.0)]
    assert all(r["members"] == 2 and r["score"] > 0 for r in rows)


def test_similar_users_with_explaining_paths(driver, settings, g):
    p = g["p"]
    rows = q(driver, settings, "similar_users_explained", user_id=f"{p}a")
    assert [r["user_id"] for r in rows] == [f"{p}b"]
    r = rows[0]
    assert math.isclose(r["score"], 1.0, rel_tol=1e-3)  # the index stores float32
    assert (r["shared_items"], r["shared_categories"]) == (3, 2)
    # The strongest shared behaviour comes first: a bought the shoe b viewed, b bought the ball a viewed.
    assert r["paths"][0] in (f"({p}a)-[:PURCHASED]->({p}shoe)<-[:VIEWED]-({p}b)",
                             f"({p}a)-[:VIEWED]->({p}ball)<-[:PURCHASED]-({p}b)")
    assert f"({p}a)-[:INTERESTED_IN]->({p}sports)<-[:INTERESTED_IN]-({p}b)" in r["paths"]
    assert f"both interested in {p}books" in r["reasons"]
    assert len(r["paths"]) == 3 + 2
    co = q(driver, settings, "co_behaviour_users", user_id=f"{p}a")
    assert co[0]["user_id"] == f"{p}b"  # n (reviewed the shoe) and c (bought book1) share one item each
    assert {(x["user_id"], x["shared_items"]) for x in co} == {(f"{p}b", 3), (f"{p}n", 1), (f"{p}c", 1)}


def test_recommendations_with_supporting_paths(driver, settings, g):
    p = g["p"]
    rows = q(driver, settings, "recommendations_explained", user_id=f"{p}a", k=2)
    assert [r["item_id"] for r in rows] == [f"{p}book2", f"{p}pan"]  # what a has (shoe, ball) is left out
    book2, pan = rows
    assert book2["reasons"] == [f"interested in {p}books", f"similar shopper {p}b viewed it"]
    assert book2["paths"] == [f"({p}a)-[:INTERESTED_IN]->({p}books)<-[:IN_CATEGORY]-({p}book2)",
                              f"({p}a)-[:SIMILAR_TO]->({p}b)-[:VIEWED]->({p}book2)"]
    assert pan["reasons"] == [] and pan["paths"] == []
    with pytest.raises(NotFoundError, match="no embedding"):
        q(driver, settings, "recommendations_explained", user_id=f"{p}c")


def test_neighbourhood_and_interest_map(driver, settings, g):
    p = g["p"]
    rows = q(driver, settings, "user_neighbourhood", user_id=f"{p}a", k=2)
    kinds = [r["kind"] for r in rows]
    assert kinds == ["behaviour", "behaviour", "interest", "interest", "similar"]
    assert rows[0]["path"] == f"({p}a)-[:PURCHASED]->({p}shoe)" and rows[0]["weight"] == 8.0
    assert rows[-1]["path"] == f"({p}a)-[:SIMILAR_TO]->({p}b)"
    bands = {r["category"]["id"]: r["interest"]["type"] for r in q(driver, settings, "interest_map", user_id=f"{p}a")}
    w = decayed_interest(g, "a", last_ms(g, "a"), settings.half_life_ms)
    assert bands == {f"{p}sports": "INTEREST_5",
                     f"{p}books": f"INTEREST_{math.ceil(5 * w[f'{p}books'] / w[f'{p}sports'])}"}


def test_embedding_health(driver, settings, g):
    p = g["p"]
    versions = {(r["label"], r["model"]): (r["nodes"], r["dirty"]) for r in q(driver, settings, "model_versions",
                                                                              prefix=p)}
    users, items = 8, 6  # a b c d x s n ghost; shoe ball book1 book2 pan mystery
    assert versions == {("User", "test:hand"): (2, 0), ("User", None): (users - 2, users - 3),  # ghost is not dirty
                        ("Item", "test:hand"): (4, 0), ("Item", None): (items - 4, items - 4)}
    stale = q(driver, settings, "stale_embeddings", prefix=p, model="test:new", k=100)
    reasons = {r["id"]: r["reason"] for r in stale}
    hand = {f"{p}{n}" for n in ("a", "b", "book2", "shoe", "ball", "pan")}
    assert {k for k, v in reasons.items() if v == "old_model"} == hand
    assert reasons[f"{p}ghost"] == "missing" and len(reasons) == users + items
    assert {r["id"] for r in q(driver, settings, "stale_embeddings", prefix=p, k=100)} == \
        {k for k, v in reasons.items() if v != "old_model"}


def test_data_quality_and_users_without_interests(driver, settings, g):
    p = g["p"]
    checks = {r["check"]: (r["failing"], r["examples"]) for r in q(driver, settings, "data_quality", prefix=p)}
    assert checks["item_without_category"] == (1, [f"{p}mystery"])
    assert checks["category_without_items"] == (1, [f"{p}empty"])
    assert checks["user_without_behaviour"] == (1, [f"{p}ghost"])
    assert checks["user_with_only_negative_interest"] == (1, [f"{p}n"])
    assert checks["user_without_interests"][0] == 3
    assert checks["item_without_behaviour"] == (0, [])
    assert checks["query_without_searches"] == (0, [])  # query ids carry no namespace: skipped under a prefix
    assert len(checks) == 7
    rows = {r["user_id"]: (r["behaviours"], r["searches"], r["uncategorised_items"])
            for r in q(driver, settings, "users_without_interests", prefix=p)}
    assert rows == {f"{p}s": (0, 1, 0), f"{p}x": (1, 0, 1), f"{p}ghost": (0, 0, 0)}


def test_bad_input_is_refused_before_running(driver, settings, g):
    p = g["p"]
    cases = [
        ("interest_profile", {}, InputError, r"needs a value for parameter\(s\): user_id"),
        ("interest_profile", {"user_id": f"{p}a", "kk": 3}, InputError, "takes no parameter"),
        ("interest_profile_on", {"user_id": f"{p}a", "date": "26-10-2026"}, InputError, "must be a date"),
        ("interest_profile", {"user_id": f"{p}a", "k": -1}, InputError, "between 0 and"),
        ("cohort_members", {"cohort": {"min_share": 0.3}}, InputError, "segment .* or a list of users"),
        ("cohort_members", {"cohort": {"segment": f"{p}sports", "min_share": 2}}, InputError, "min_share"),
        ("cohort_members", {"cohort": {"segment": f"{p}nope"}}, NotFoundError, "no category"),
        ("interest_profile", {"user_id": f"{p}nobody"}, NotFoundError, "no user"),
        ("no_such_query", {}, InputError, "unknown analyst query"),
    ]
    for name, params, error, message in cases:
        with pytest.raises(error, match=message):
            q(driver, settings, name, **params)


def test_cli_table_json_and_csv(g, capsys):
    p = g["p"]
    assert main(["query", "interest_profile", "--param", f"user_id={p}a", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"] == "analyst/interest_profile"
    assert [r["category"] for r in out["rows"]] == [f"{p}sports", f"{p}books"]
    assert main(["query", "similar_users_explained", "--param", f"user_id={p}a", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "user_id,score,shared_items,shared_categories,reasons,paths"
    assert lines[1].split(",")[0] == f"{p}b" and lines[1].split(",")[2:4] == ["3", "2"]
    assert main(["query", "cohort_members", "--param", f'cohort={{"segment": "{p}sports", "min_share": 0.5}}']) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["user_id", "segment_share", "top_category", "top_share", "categories"]
    assert sorted(line.split()[0] for line in table[2:]) == [f"{p}a", f"{p}b"]
    assert main(["query", "interest_profile", "--param", f"user_id={p}nobody"]) == 2
    assert f"no user with id '{p}nobody'" in capsys.readouterr().err
    assert main(["query"]) == 0
    assert "trending_in_community(cohort, from, to, half_life_ms, k)" in capsys.readouterr().out


def test_every_analyst_query_is_documented_and_tested():
    documented = analyst.library()
    assert {a.name for a in documented} == set(analyst.names())
    for a in documented:
        assert a.purpose and a.returns, a.name
    source = open(__file__, encoding="utf-8").read()
    untested = [a.name for a in documented if f'"{a.name}"' not in source and a.name != "refresh_status"]
    assert not untested, f"analyst queries without a test here: {untested}"


@pytest.mark.parametrize("name, given", [
    ("interest_profile", {"user_id": "a"}),
    ("similar_users_explained", {"user_id": "a"}),
    ("recommendations_explained", {"user_id": "a", "k": 2}),
    ("cohort_members", {"cohort": {"segment": "sports", "min_share": 0.5}}),
    ("co_behaviour_users", {"user_id": "a"}),
])
def test_browser_guide_shows_the_same_rows_to_four_significant_digits(driver, settings, g, name, given):
    from neo4j_local.browser_assets import ROUNDED, for_display

    p = g["p"]
    given = {k: (f"{p}{v}" if k == "user_id" else
                 {**v, "segment": f"{p}{v['segment']}"} if k == "cohort" else v) for k, v in given.items()}
    query = analyst.describe(name)
    params = analyst.bind(query, given, settings)
    full = analyst.run(driver, settings, name, given)
    shown = [{k: analyst.to_plain(v) for k, v in r.items()}
             for r in driver.execute_query(for_display(query.returns, cypher_text(query)), params).records]
    assert full and len(shown) == len(full)
    rounded = 0
    for a, b in zip(full, shown, strict=True):
        assert list(a) == list(b)
        for k in a:
            if k in ROUNDED and isinstance(a[k], float) and a[k] != 0:
                assert b[k] == pytest.approx(a[k], rel=5e-4) and len(f"{b[k]:.12g}".strip("-0.").replace(".", "")) <= 4
                rounded += 1
            else:
                assert a[k] == b[k], k
    assert rounded


def cypher_text(query):
    from interestgraph import cypher_registry as cypher

    return cypher.statement_text(query.qualified)


def test_recommend_why_prints_one_supporting_path_per_item(g, capsys):
    p = g["p"]
    # In this fixture's namespace, so other data in the database cannot take the two places.
    assert main(["recommend", f"{p}a", "--k", "2", "--why", "--prefix", p]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == (f"  {p}book2: ({p}a)-[:INTERESTED_IN]->({p}books)<-[:IN_CATEGORY]-({p}book2)  "
                       f"(interested in {p}books; similar shopper {p}b viewed it)")
    assert out[-1].startswith(f"  {p}pan: no category or similar-shopper path yet (model ")
    assert main(["recommend", f"{p}a", "--k", "2", "--why", "--json", "--prefix", p]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert [i["item_id"] for i in items] == [f"{p}book2", f"{p}pan"] and items[0]["paths"]


def test_refresh_similar_replaces_the_edges_it_found(driver, settings, g):
    p = g["p"]
    edges = ("MATCH (b:User {id: $id})-[s:SIMILAR_TO]->(n) RETURN n.id AS id, s.score AS score, "
             "b.similar_at IS NOT NULL AS marked ORDER BY score DESC")
    try:
        # How many neighbours exist depends on what else the index holds (a fresh database: only a).
        refresh_similar(driver, settings, [f"{p}b"], k=3)
        found = len(driver.execute_query(edges, id=f"{p}b").records)
        refresh_similar(driver, settings, [f"{p}b"], k=1)  # a smaller refresh leaves exactly its own edges
        rows = driver.execute_query(edges, id=f"{p}b").records
        assert found >= 1 and len(rows) == 1
        assert rows[0]["id"] == f"{p}a" and math.isclose(rows[0]["score"], 1.0, rel_tol=1e-3) and rows[0]["marked"]
    finally:
        driver.execute_query("MATCH (:User {id: $id})-[s:SIMILAR_TO]->() DELETE s", id=f"{p}b")
