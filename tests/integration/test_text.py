"""The text pass against the real Neo4j: title vectors, category centroids, query intent that
moves interests before any click (English, Chinese and mixed titles and queries), review sentiment
blended into REVIEWED and interests, and replays that change nothing. Real texts; the default
encoder (bge-small-zh-v1.5, converted by `make models`) and the built review model."""

from __future__ import annotations

import math

import pytest

from ingest.pipeline import sync_records
from ingest.text import TEXT_SHARE, TextPass
from ingest.writer import GraphWriter
from interestgraph.graph import run_implicit
from textenc.encoders import default_model_dir, model_dim

T0 = 1_793_000_000_000

CATALOGUE = {
    "audio": ["Wireless Bluetooth Headphones with Noise Cancelling", "True Wireless Earbuds, Bluetooth 5.3",
              "Portable Bluetooth Speaker, Waterproof"],
    "garden": ["Expandable Garden Hose 30m", "Cordless Hedge Trimmer", "Stainless Steel Garden Trowel"],
}
# Chinese and mixed Chinese-English titles, as a Chinese shop writes them.
CATALOGUE_ZH = {
    "erji": ["索尼 WH-1000XM5 头戴式无线降噪耳机", "Apple AirPods Pro 2 蓝牙耳机 主动降噪", "小米 蓝牙音箱 便携 防水"],
    "paobu": ["李宁 超轻21 跑步鞋 男款 缓震", "Nike Air Zoom Pegasus 运动跑鞋", "速干 运动T恤 男 跑步"],
    "tongshu": ["儿童绘本 3-6岁 睡前故事", "幼儿 启蒙 图画书 全10册", "小学生 课外阅读 注音版"],
}


@pytest.fixture
def cleanup(driver, settings, prefix):
    yield
    run_implicit(driver, settings, "bench/delete_namespace", prefix=prefix)
    driver.execute_query("MATCH (q:Query) WHERE q.text STARTS WITH $p DETACH DELETE q", p=prefix.lower())


def _catalogue_events(p, catalogue=CATALOGUE):
    recs = []
    for cat, titles in catalogue.items():
        for n, title in enumerate(titles):
            recs.append({"event_id": f"{p}c-{cat}{n}", "user_id": f"{p}shopper", "type": "view", "ts": T0 + n,
                         "item_id": f"{p}{cat}{n}", "item": {"title": title, "category": f"{p}{cat}"}})
    return recs


def _interest(driver, user, category):
    rec = driver.execute_query("MATCH (:User {id: $u})-[r:INTERESTED_IN]->(:Category {id: $c}) RETURN r.weight AS w",
                               u=user, c=category).records
    return rec[0]["w"] if rec else 0.0


def test_titles_queries_and_intent(driver, settings, prefix, tmp_path, cleanup):
    p = prefix
    writer = GraphWriter(driver, settings)
    sync_records("t", _catalogue_events(p), writer, tmp_path / "d.jsonl", progress=False)
    first = TextPass(driver, settings).run()
    assert first.items >= 6 and first.categories >= 2
    items = driver.execute_query("MATCH (i:Item) WHERE i.id STARTS WITH $p RETURN i.text_embedding AS v, "
                                 "i.text_pending AS pending, i.text_model AS model", p=p).records
    dim = model_dim(default_model_dir())
    assert len(items) == 6 and all(len(r["v"]) == dim and r["pending"] is None and r["model"] for r in items)
    centroids = driver.execute_query("MATCH (c:Category) WHERE c.id STARTS WITH $p RETURN c.id AS id, "
                                     "c.text_items AS n, size(c.text_centroid) AS d", p=p).records
    assert {r["id"]: (r["n"], r["d"]) for r in centroids} == {f"{p}audio": (3, dim), f"{p}garden": (3, dim)}

    # A searcher who never clicked: the query's intent raises the audio interest, not garden.
    search = {"event_id": f"{p}s1", "user_id": f"{p}searcher", "type": "search", "ts": T0 + 100,
              "query": f"{p} noise cancelling bluetooth headphones"}
    sync_records("t", [search], writer, tmp_path / "d.jsonl", progress=False)
    assert _interest(driver, f"{p}searcher", f"{p}audio") == 0.0  # the query has no vector yet
    TextPass(driver, settings).run()
    means = driver.execute_query("MATCH (q:Query)-[m:MEANS]->(c:Category) WHERE q.text STARTS WITH $p RETURN "
                                 "c.id AS c, m.score AS s, m.share AS share ORDER BY s DESC", p=p.lower()).records
    ours = [r["c"] for r in means if r["c"].startswith(p)]
    assert ours and ours[0] == f"{p}audio"
    assert math.isclose(sum(r["share"] for r in means), 1.0, rel_tol=1e-9)
    audio = _interest(driver, f"{p}searcher", f"{p}audio")
    assert audio > 0.0
    assert _interest(driver, f"{p}searcher", f"{p}garden") < audio

    # Replaying the pass and the event changes nothing; a new search of a known query moves
    # interest at ingest time, by the same amount as the first.
    TextPass(driver, settings).run()
    sync_records("t", [search], writer, tmp_path / "d.jsonl", progress=False)
    assert _interest(driver, f"{p}searcher", f"{p}audio") == audio
    again = {**search, "event_id": f"{p}s2"}
    sync_records("t", [again], writer, tmp_path / "d.jsonl", progress=False)
    assert math.isclose(_interest(driver, f"{p}searcher", f"{p}audio"), 2 * audio, rel_tol=1e-9)


def _means(driver, p, query):
    return [r["c"] for r in driver.execute_query(
        "MATCH (q:Query {text: $q})-[m:MEANS]->(c:Category) WHERE c.id STARTS WITH $p RETURN c.id AS c "
        "ORDER BY m.score DESC", q=query, p=p).records]


def test_chinese_titles_and_queries_mean_the_right_categories(driver, settings, prefix, tmp_path, cleanup):
    p = prefix
    writer = GraphWriter(driver, settings)
    sync_records("t", _catalogue_events(p, CATALOGUE_ZH), writer, tmp_path / "d.jsonl", progress=False)
    assert TextPass(driver, settings).run().items >= 9
    vecs = {r["id"]: r["v"] for r in driver.execute_query(
        "MATCH (i:Item) WHERE i.id STARTS WITH $p RETURN i.id AS id, i.text_embedding AS v", p=p).records}
    assert len(vecs) == 9 and all(len(v) == model_dim(default_model_dir()) for v in vecs.values())
    # Nearest titles: a Chinese title's neighbours are its own kind. Exact cosine within the namespace:
    # in a shared database, other runs' copies of these very titles would fill the index's top 50.
    near = [r["id"] for r in driver.execute_query(
        "MATCH (i:Item {id: $id}), (node:Item) WHERE node.id STARTS WITH $p AND node <> i "
        "RETURN node.id AS id ORDER BY vector.similarity.cosine(i.text_embedding, node.text_embedding) DESC LIMIT 2",
        id=f"{p}erji0", p=p).records]
    assert set(near) == {f"{p}erji1", f"{p}erji2"}

    queries = {"降噪 蓝牙耳机": "erji", "男士 跑鞋": "paobu", "宝宝 睡前 绘本": "tongshu",
               "AirPods 无线耳机": "erji"}
    searches = [{"event_id": f"{p}zs{n}", "user_id": f"{p}zh-searcher{n}", "type": "search", "ts": T0 + 100 + n,
                 "query": f"{p} {q}"} for n, q in enumerate(queries)]
    sync_records("t", searches, writer, tmp_path / "d.jsonl", progress=False)
    TextPass(driver, settings).run()
    for n, (q, cat) in enumerate(queries.items()):
        means = _means(driver, p, f"{p} {q}".lower())
        assert means and means[0] == f"{p}{cat}", (q, means)
        # The first search raised the meant category's interest before any click.
        assert _interest(driver, f"{p}zh-searcher{n}", f"{p}{cat}") > 0.0
    # A query about something the shop does not sell means nothing rather than the nearest category.
    # The random namespace is part of the text and moves its vector: "汽车机油 全合成" (motor oil) came
    # within 0.45 of the headphones in 6 of 60 namespaces; fertiliser stays below 0.41 in 200.
    sync_records("t", [{"event_id": f"{p}zs-x", "user_id": f"{p}zh-searcher-x", "type": "search", "ts": T0 + 200,
                        "query": f"{p} 化肥 尿素 农用"}], writer, tmp_path / "d.jsonl", progress=False)
    TextPass(driver, settings).run()
    assert _means(driver, p, f"{p} 化肥 尿素 农用".lower()) == []


def test_review_sentiment_is_blended_and_corrects_interest(driver, settings, prefix, tmp_path, cleanup):
    p = prefix
    writer = GraphWriter(driver, settings)
    recs = _catalogue_events(p) + [
        # A 4-star review whose text is plainly negative, and one in English the model cannot read.
        {"event_id": f"{p}r1", "user_id": f"{p}critic", "type": "review", "ts": T0 + 200, "item_id": f"{p}audio0",
         "rating": 4, "text": "质量太差了，用了两天就坏了，客服也不理人，非常失望"},
        {"event_id": f"{p}r2", "user_id": f"{p}critic", "type": "review", "ts": T0 + 300, "item_id": f"{p}garden0",
         "rating": 4, "text": "Broke after two days, very disappointed"},
    ]
    sync_records("t", recs, writer, tmp_path / "d.jsonl", progress=False)
    before = _interest(driver, f"{p}critic", f"{p}audio")
    assert math.isclose(before, 3.0 * 0.5)  # review weight x rating sentiment (4 stars -> 0.5)
    garden_before = _interest(driver, f"{p}critic", f"{p}garden")
    report = TextPass(driver, settings).run()
    assert report.reviews == 2
    rows = {r["item"]: r for r in driver.execute_query(
        "MATCH (:User {id: $u})-[r:REVIEWED]->(i) RETURN i.id AS item, r.sentiment AS s, r.rating_sentiment AS rs, "
        "r.text_sentiment AS p, r.text_pending AS pending, size(r.text_embedding) AS d", u=f"{p}critic").records}
    zh, en = rows[f"{p}audio0"], rows[f"{p}garden0"]
    assert zh["p"] < 0.3 and zh["pending"] is None and zh["d"] > 0
    assert math.isclose(zh["s"], (1 - TEXT_SHARE) * 0.5 + TEXT_SHARE * (2 * zh["p"] - 1))
    assert zh["s"] < zh["rs"] == 0.5
    assert en["p"] is None and en["s"] == 0.5  # unreadable language: the rating stands
    after = _interest(driver, f"{p}critic", f"{p}audio")
    assert math.isclose(after, 3.0 * zh["s"], rel_tol=1e-9, abs_tol=1e-12)
    assert _interest(driver, f"{p}critic", f"{p}garden") == garden_before
    # A replay of the pass (nothing pending) and of the events changes nothing.
    assert not TextPass(driver, settings).run()
    sync_records("t", recs, writer, tmp_path / "d.jsonl", progress=False)
    assert _interest(driver, f"{p}critic", f"{p}audio") == after


def test_the_nlp_queue_runs_the_text_pass_on_a_real_worker(driver, settings, prefix, tmp_path, cleanup):
    from workers.tasks import text_pass

    p = prefix
    sync_records("t", _catalogue_events(p), GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    pending = driver.execute_query("MATCH (i:Item) WHERE i.id STARTS WITH $p AND i.text_pending RETURN count(*) AS n",
                                   p=p).records[0]["n"]
    assert pending == 6
    result = text_pass.apply_async(kwargs={"max_rounds": None}, queue="nlp").get(timeout=300)
    assert result["items"] >= 6
    done = driver.execute_query("MATCH (i:Item) WHERE i.id STARTS WITH $p AND i.text_embedding IS NOT NULL "
                                "AND i.text_pending IS NULL RETURN count(*) AS n", p=p).records[0]["n"]
    assert done == 6
