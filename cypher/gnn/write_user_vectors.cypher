// Write users' fresh vectors unless a vector from newer behaviour is already there (an equal one
// is rewritten: the items it reads may have new content).
// The exact vector goes to embedding_fresh, which no index covers, so an event never waits for an
// HNSW insert; index_due_ms (the oldest fresh vector the index does not hold yet) queues the user
// for gnn/copy_user_vectors_to_index, which copies changed vectors into the indexed embedding in bulk.
// $rows: [{id, vec: [float], seq, src_ms, read_ms, cutoff_ms}] (seq: dirty_seq when the edges were read;
// src_ms: the newest event acceptance the vector includes; read_ms: when they were read;
// cutoff_ms: the last_at of the k-th newest edge read, null if the user had fewer than k),
// $model: string, $k: int (how many newest edges the model reads; cutoff_ms is gnn/recent_behaviour's
// to reuse for any k up to this one)
// Returns: id, current (false when events committed after the read: the user stays dirty, as
// of the read, and the update those events trigger writes again). Writing a vector that is
// already a little behind is still progress, so a shopper acting non-stop is never starved.
WITH datetime() AS now
UNWIND $rows AS row
MATCH (u:User {id: row.id})
WHERE coalesce(u.embedded_seq, -1) <= row.seq
WITH u, row, now, coalesce(u.dirty_seq, 0) = row.seq AS current
SET u.embedding_fresh = row.vec, u.embedding_model = $model, u.embedded_at = now, u.embedded_src_ms = row.src_ms,
    u.embedded_seq = row.seq, u.refreshes = coalesce(u.refreshes, 0) + 1, u.embed_error = null,
    u.index_due_ms = coalesce(u.index_due_ms, now.epochMillis),
    u.dirty_since = CASE WHEN current THEN null ELSE datetime({epochMillis: row.read_ms}) END
// Only a user with k edges has a cutoff to keep; the others' writes stay as they were (a CASE that
// set the two properties to themselves measured 6% slower per-event ingest in two interleaved runs).
FOREACH (_ IN CASE WHEN row.cutoff_ms IS NULL THEN [] ELSE [1] END |
  SET u.recent_cutoff_ms = row.cutoff_ms, u.recent_cutoff_k = $k)
RETURN row.id AS id, current
