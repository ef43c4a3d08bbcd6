// Write items' fresh vectors, each only if the item's content is unchanged since it was read.
// The exact vector goes to embedding_fresh, which no index covers, so a refresh never waits for an
// HNSW insert; index_due_ms queues the item for gnn/copy_item_vectors_to_index, which copies
// vectors that moved into the indexed embedding in bulk.
// $rows: [{id, vec: [float], seq, live_seq, due_ms}] (seq: dirty_seq when read, which content changes and
// new models bump; live_seq: the new-buyer count when read; due_ms: when fading counts call for the next
// re-embedding, or null), $model: string
// Returns: id, one row per vector written. An item whose content changed meanwhile stays dirty; one that
// gained a buyer meanwhile gets this (already newer) vector and stays dirty for the next refresh.
WITH datetime() AS now
UNWIND $rows AS row
MATCH (i:Item {id: row.id})
WHERE coalesce(i.dirty_seq, 0) = row.seq
SET i.embedding_fresh = row.vec, i.embedding_model = $model, i.embedded_at = now,
    i.refreshes = coalesce(i.refreshes, 0) + 1, i.live_due_ms = row.due_ms,
    i.index_due_ms = coalesce(i.index_due_ms, now.epochMillis),
    i.dirty_since = CASE WHEN coalesce(i.live_seq, 0) = row.live_seq THEN null ELSE i.dirty_since END
RETURN row.id AS id
