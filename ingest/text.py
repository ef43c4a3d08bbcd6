"""The text pass: encode what shoppers and the catalogue wrote, and let it move interests.

Ingest accepts an event without waiting for any model: it only marks new titles, queries
and review texts ``text_pending``. This pass (the ``nlp`` Celery queue for streams, inline
after each batch for file loads) then, in batches:

1. encodes item titles into ``Item.text_embedding`` and re-averages the touched categories'
   ``Category.text_centroid``;
2. encodes queries into ``Query.embedding`` and links each to the categories it most likely
   means, ``(:Query)-[:MEANS {score, share}]->(:Category)`` (nearest centroids), and lets the
   searches already made of it raise those categories' interest (later searches do so at
   ingest);
3. scores review texts, blends the score into ``REVIEWED.sentiment`` and corrects the
   interest that the rating alone had moved.

Each write is guarded by the pending mark, read after taking the lock, so a replay or two
workers racing change nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from neo4j import Driver, Transaction

from ingest.aggregate import interest_rows
from ingest.events import MAX_CATEGORIES, TYPE_WEIGHT, EventType
from interestgraph.errors import ConfigError
from interestgraph.graph import in_write_tx, read, run, write
from interestgraph.settings import Settings
from textenc.sentiment import cjk_share

log = logging.getLogger(__name__)

BATCH = 256
INTENT_K = 3
INTENT_CANDIDATES = 50  # asked of the HNSW index for the best INTENT_K (its recall at k=3 is poor)
# A query means a category when its cosine to the centroid reaches the encoder's "related" level
# (textenc.encoders.RELATED_COSINE: 0.45 for BGE, 0.3 for MiniLM); index scores map cosine to (1 + cos) / 2.
INTENT_MIN_COSINE = 0.3
CENTROID_SAMPLE = 500
CENTROID_MIN_AGE_MS = 60_000
# How much the text moves a review's sentiment next to its star rating.
TEXT_SHARE = 0.5
# Below this share of Chinese characters the review model cannot read the text; the rating stands.
MIN_CJK_SHARE = 0.3


@dataclass
class TextReport:
    """What a text pass wrote: item titles, category centroids, queries, query intents, reviews."""

    items: int = 0
    categories: int = 0
    queries: int = 0
    query_intents: int = 0
    reviews: int = 0

    def add(self, other: TextReport) -> None:
        """Add ``other``'s counts to these."""
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)

    def as_dict(self) -> dict[str, int]:
        """The counts by kind, as the CLI and the workers report them."""
        return asdict(self)

    def __bool__(self) -> bool:
        return any(asdict(self).values())


class TextPass:
    """One text pass over whatever is pending; models load lazily, only when there is work."""

    def __init__(self, driver: Driver, settings: Settings, *, batch: int = BATCH) -> None:
        self.driver = driver
        self.settings = settings
        self.batch = batch
        self.done = TextReport()  # what this pass wrote so far, also when a later step fails
        self.review_model_missing: str | None = None

    def _encoder(self) -> Any:
        from textenc.loaders import text_encoder

        return text_encoder(self.settings)

    def _sentiment(self) -> Any:
        from textenc.loaders import sentiment_model

        return sentiment_model(self.settings)

    def items(self) -> TextReport:
        """Encode one batch of pending item titles and refresh the centroids of their categories."""
        pending = read(self.driver, self.settings, "ingest/pending_item_texts", limit=self.batch)
        if not pending:
            return TextReport()
        enc = self._encoder()
        vecs = enc.encode([r["title"] for r in pending])
        rows = [{"id": r["id"], "title": r["title"], "vec": v.tolist()} for r, v in zip(pending, vecs, strict=True)]
        cats = [r["category"] for r in write(self.driver, self.settings, "ingest/write_item_texts",
                                             rows=rows, model=enc.model_id)]
        if cats:
            write(self.driver, self.settings, "ingest/refresh_category_centroids", ids=cats, sample=CENTROID_SAMPLE,
                  now_ms=int(time.time() * 1000), min_age_ms=CENTROID_MIN_AGE_MS)
        return TextReport(items=len(rows), categories=len(cats))

    def queries(self) -> TextReport:
        """Encode pending queries, link each to the categories it means; the first link moves interests."""
        pending = read(self.driver, self.settings, "ingest/pending_query_texts", limit=self.batch)
        if not pending:
            return TextReport()
        enc = self._encoder()
        vecs = enc.encode([r["text"] for r in pending])
        rows = [{"id": r["id"], "vec": v.tolist()} for r, v in zip(pending, vecs, strict=True)]
        h = self.settings.half_life_ms
        min_score = (1.0 + float(getattr(enc, "related_cosine", INTENT_MIN_COSINE))) / 2

        def work(tx: Transaction) -> TextReport:
            done = run(tx, "ingest/write_query_texts", rows=rows, model=enc.model_id, k=INTENT_K,
                       candidates=INTENT_CANDIDATES, min_score=min_score)
            meant = [r["id"] for r in done if r["categories"] and r["first"]]
            if meant:
                searches = [dict(r) for r in run(tx, "ingest/searches_of_queries", ids=meant)]
                intents = interest_rows([dict(r) for r in run(tx, "ingest/search_intent_interests", rows=searches)])
                if intents:
                    run(tx, "ingest/update_interests", rows=intents, half_life_ms=h, max_categories=MAX_CATEGORIES)
            return TextReport(queries=len(done), query_intents=len(meant))

        return in_write_tx(self.driver, self.settings, "text pass: queries", work)

    def reviews(self) -> TextReport:
        """Score one batch of pending reviews and move each interest by the change in its sentiment."""
        pending = read(self.driver, self.settings, "ingest/pending_review_texts", limit=self.batch)
        if not pending:
            return TextReport()
        model = self._sentiment()
        probs, vecs = model.scores_and_vectors([r["text"] for r in pending])
        rows = []
        for r, p, v in zip(pending, probs, vecs, strict=True):
            readable = cjk_share(r["text"]) >= MIN_CJK_SHARE  # the model was trained on Chinese only
            rows.append({"user": r["user"], "item": r["item"], "text": r["text"], "p": float(p) if readable else None,
                         "share": TEXT_SHARE if readable else 0.0, "vec": v.tolist()})
        amount = TYPE_WEIGHT[EventType.REVIEW]
        h = self.settings.half_life_ms

        def work(tx: Transaction) -> TextReport:
            done = run(tx, "ingest/write_review_sentiments", rows=rows, model=model.model_id)
            # The interest moved by amount * old at the review's time; move it by the difference.
            fixes = interest_rows([{"user": r["user"], "item": r["item"], "count": 0, "first_ms": r["at_ms"],
                                     "last_ms": r["at_ms"], "w": amount * (r["new"] - (r["old"] or 0.0))}
                                    for r in done])
            if fixes:
                run(tx, "ingest/update_interests", rows=fixes, half_life_ms=h, max_categories=MAX_CATEGORIES)
            return TextReport(reviews=len(done))

        return in_write_tx(self.driver, self.settings, "text pass: reviews", work)

    def _reviews_if_possible(self) -> TextReport:
        if self.review_model_missing:
            return TextReport()
        try:
            return self.reviews()
        except ConfigError as e:
            # Without the review model, titles and queries still go on; reviews wait for it.
            if not self.review_model_missing:
                log.warning("review texts stay pending", extra={"reason": str(e)})
            self.review_model_missing = str(e)
            return TextReport()

    def run(self, *, max_rounds: int | None = None, progress: Callable[[TextReport], None] | None = None,
            reviews: bool = True) -> TextReport:
        """Drain what is pending (items first, so queries find centroids), ``max_rounds`` batches each at most;
        ``reviews=False`` leaves review texts pending (no review model is loaded)."""
        total = self.done = TextReport()
        rounds = 0
        while max_rounds is None or rounds < max_rounds:
            step = self.items()
            total.add(step)
            if not step.items:  # centroids settle before queries are matched against them
                step = self.queries()
                total.add(step)
            scored = self._reviews_if_possible() if reviews else TextReport()
            total.add(scored)
            if not step and not scored:
                break
            rounds += 1
            if progress:
                progress(total)
        return total


def mark_all_pending(driver: Driver, settings: Settings) -> int:
    """Queue every title, query and review text again (after changing a text model)."""
    rec = write(driver, settings, "ingest/mark_texts_pending")[0]
    return int(rec["marked"])
