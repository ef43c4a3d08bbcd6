// Count new buyers into items' live statistics (gnn.counting reads them): a user with no
// behaviour edge to the item yet is one. Runs before merge_item_behaviour, in the same
// transaction, with one row per (user, item) pair of the batch, so a pair counts once.
// $rows: [{user, item, first_ms}], $horizons_ms: [float] (interestgraph.constants.LIVE_HORIZONS_MS),
// $now_ms: int
// Returns nothing. live_decayed[k] is the decayed count over horizon k as of live_ms; a late
// first touch adds what it would have added on time (order-independent, like the weights).
// A new buyer marks the item for re-embedding (dirty_since; live_seq lets the write know it is current).
UNWIND $rows AS row
MATCH (u:User {id: row.user})
MATCH (i:Item {id: row.item})
WITH u, i, row
WHERE NOT EXISTS { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(i) }
WITH i, row, coalesce(i.live_ms, row.first_ms) AS old_at
WITH i, row, old_at, CASE WHEN row.first_ms > old_at THEN row.first_ms ELSE old_at END AS at
SET i.live_decayed = [k IN range(0, size($horizons_ms) - 1) |
                      coalesce(i.live_decayed[k], 0.0) * exp(-(at - old_at) / $horizons_ms[k])
                      + exp(-(at - row.first_ms) / $horizons_ms[k])],
    i.live_ms = at,
    i.live_total = coalesce(i.live_total, 0) + 1,
    i.live_first_ms = CASE WHEN i.live_first_ms IS NULL OR row.first_ms < i.live_first_ms THEN row.first_ms
                           ELSE i.live_first_ms END,
    i.live_seq = coalesce(i.live_seq, 0) + 1,
    i.dirty_since = coalesce(i.dirty_since, datetime({epochMillis: $now_ms})),
    i.touched_ms = $now_ms
