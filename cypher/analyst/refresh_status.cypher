// How fresh the embeddings are: the dirty backlog, and over the last $minutes how many
// vectors were written and how long after its newest event each user vector was written
// (users are re-embedded by the model at ingest; items when their content changes); and how
// far the vector index's copies of user vectors (embedding) lag behind the fresh ones
// (embedding_fresh): users waiting for a copy, and the lag of the copies made in the window.
// $minutes: int = 5                the window, in minutes
// $prefix: string = ""             only ids starting with this (a namespace); "" for all
// Returns: dirty_users, dirty_items, oldest_dirty_s, refreshed, refresh_per_s,
//          gnn_p50_s, gnn_p95_s, gnn_p99_s, models, index_due_users, oldest_index_due_s,
//          index_copies, ann_lag_p50_s, ann_lag_p95_s.
CALL () {
  MATCH (u:User) WHERE u.dirty_since IS NOT NULL AND u.id STARTS WITH $prefix
  RETURN count(u) AS dirty_users, min(u.dirty_since) AS oldest_user
}
CALL () {
  MATCH (i:Item) WHERE i.dirty_since IS NOT NULL AND i.id STARTS WITH $prefix
  RETURN count(i) AS dirty_items, min(i.dirty_since) AS oldest_item
}
CALL () {
  MATCH (n:User|Item)
  WHERE n.embedded_at >= datetime() - duration({minutes: $minutes}) AND n.id STARTS WITH $prefix
  WITH n, (n.embedded_at.epochMillis - n.embedded_src_ms) / 1000.0 AS lag
  RETURN count(n) AS refreshed, percentileCont(lag, 0.5) AS gnn_p50_s, percentileCont(lag, 0.95) AS gnn_p95_s,
         percentileCont(lag, 0.99) AS gnn_p99_s, collect(DISTINCT n.embedding_model) AS models
}
CALL () {
  MATCH (u:User) WHERE u.index_due_ms IS NOT NULL AND u.id STARTS WITH $prefix
  RETURN count(u) AS index_due_users, min(u.index_due_ms) AS oldest_due_ms
}
CALL () {
  MATCH (u:User)
  WHERE u.indexed_at >= datetime() - duration({minutes: $minutes}) AND u.id STARTS WITH $prefix
  RETURN count(u) AS index_copies, percentileCont(u.indexed_lag_ms / 1000.0, 0.5) AS ann_lag_p50_s,
         percentileCont(u.indexed_lag_ms / 1000.0, 0.95) AS ann_lag_p95_s
}
WITH dirty_users, dirty_items, refreshed, gnn_p50_s, gnn_p95_s, gnn_p99_s, models, index_due_users, oldest_due_ms,
     index_copies, ann_lag_p50_s, ann_lag_p95_s,
     CASE WHEN oldest_user IS NULL THEN oldest_item
          WHEN oldest_item IS NULL OR oldest_user < oldest_item THEN oldest_user ELSE oldest_item END AS oldest
RETURN dirty_users, dirty_items,
       CASE WHEN oldest IS NULL THEN 0.0 ELSE (datetime().epochMillis - oldest.epochMillis) / 1000.0 END AS oldest_dirty_s,
       refreshed, refreshed / ($minutes * 60.0) AS refresh_per_s, gnn_p50_s, gnn_p95_s, gnn_p99_s, models,
       index_due_users,
       CASE WHEN oldest_due_ms IS NULL THEN 0.0 ELSE (datetime().epochMillis - oldest_due_ms) / 1000.0 END
         AS oldest_index_due_s,
       index_copies, ann_lag_p50_s, ann_lag_p95_s
