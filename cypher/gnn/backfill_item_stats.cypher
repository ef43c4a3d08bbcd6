// Give items that have no live counters yet (ingested before ingest kept them) the counters their
// behaviour edges imply: each buyer's first touch counts once, decayed to the newest of them, as
// ingest/count_new_buyers would have counted them. Items that have counters keep them (ingest
// maintains them). A one-off pass per item: it reads the item's edges once, in batches.
// $horizons_ms: [float] (interestgraph.constants.LIVE_HORIZONS_MS), $prefix: string ("": every item;
// else only ids starting with it), $batch: int (items per transaction)
// Returns: items (int), how many items got counters.
MATCH (i:Item)
WHERE i.live_total IS NULL AND ($prefix = '' OR i.id STARTS WITH $prefix)
CALL (i) {
  OPTIONAL MATCH (i)<-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]-(u:User)
  WITH u, min(r.first_at.epochMillis) AS t
  WITH collect(t) AS ts
  WITH ts, reduce(m = null, t IN ts | CASE WHEN m IS NULL OR t > m THEN t ELSE m END) AS at,
       reduce(m = null, t IN ts | CASE WHEN m IS NULL OR t < m THEN t ELSE m END) AS first
  SET i.live_total = size(ts), i.live_ms = at, i.live_first_ms = first, i.live_seq = coalesce(i.live_seq, 0),
      i.live_decayed = CASE WHEN at IS NULL THEN null
                            ELSE [h IN $horizons_ms | reduce(s = 0.0, t IN ts | s + exp(-(at - t) / h))] END
} IN TRANSACTIONS OF $batch ROWS
RETURN count(i) AS items
