// Write items' fresh vectors, each only if the item's content is unchanged since it was read.
// The exact vector goes to embedding_fresh, which no index covers, so a refresh never waits for an
// HNSW insert; index_due_ms queues the item for gnn/copy_item_vectors_to_index, which copies
// vectors that moved into the indexed embedding in bulk.
// $rows: [{id, vec: [float], seq, live_seq, due_ms, read_ms}] (seq: dirty_seq when read, which content
// changes and new models bump; live_seq: the new-buyer count when read; due_ms: when fading counts call for
// the next re-embedding, or null; read_ms: when the counters were read), $model: string
// Returns: id, one row per vector written. An item whose content changed meanwhile stays dirty; one that
// gained a buyer meanwhile gets this (already newer) vector and stays dirty, as of the read, as a user
// does: dirty_since is then how stale the vector is, and a hot item is claimed again $max_wait_ms after
// its read rather than at once (its first mark never cleared, so every refresh took it again).
WITH datetime() AS now
UNWIND $rows AS row
MATCH (i:Item {id: row.id})
WHERE coalesce(i.dirty_seq, 0) = row.seq
SET i.embedding_fresh = row.vec, i.embedding_model = $model, i.embedded_at = now,
    i.refreshes = coalesce(i.refreshes, 0) + 1, i.live_due_ms = row.due_ms,
    i.index_due_ms = coalesce(i.index_due_ms, now.epochMillis),
    i.dirty_since = CASE WHEN coalesce(i.live_seq, 0) = row.live_seq THEN null
                         ELSE datetime({epochMillis: row.read_ms}) END
RETURN row.id AS id
