// How fresh the embeddings are: the dirty backlog, and over the last $minutes how many
// vectors were written and how long after its newest event each user vector was written
// (users are re-embedded by the model at ingest; items when their content changes).
// $minutes: int = 5                the window, in minutes
// Returns: dirty_users, dirty_items, oldest_dirty_s, refreshed, refresh_per_s,
//          gnn_p50_s, gnn_p95_s, gnn_p99_s, models.
CALL () {
  MATCH (u:User) WHERE u.dirty_since IS NOT NULL
  RETURN count(u) AS dirty_users, min(u.dirty_since) AS oldest_user
}
CALL () {
  MATCH (i:Item) WHERE i.dirty_since IS NOT NULL
  RETURN count(i) AS dirty_items, min(i.dirty_since) AS oldest_item
}
CALL () {
  MATCH (n:User|Item)
  WHERE n.embedded_at >= datetime() - duration({minutes: $minutes})
  WITH n, (n.embedded_at.epochMillis - n.embedded_src_ms) / 1000.0 AS lag
  RETURN count(n) AS refreshed, percentileCont(lag, 0.5) AS gnn_p50_s, percentileCont(lag, 0.95) AS gnn_p95_s,
         percentileCont(lag, 0.99) AS gnn_p99_s, collect(DISTINCT n.embedding_model) AS models
}
WITH dirty_users, dirty_items, refreshed, gnn_p50_s, gnn_p95_s, gnn_p99_s, models,
     CASE WHEN oldest_user IS NULL THEN oldest_item
          WHEN oldest_item IS NULL OR oldest_user < oldest_item THEN oldest_user ELSE oldest_item END AS oldest
RETURN dirty_users, dirty_items,
       CASE WHEN oldest IS NULL THEN 0.0 ELSE (datetime().epochMillis - oldest.epochMillis) / 1000.0 END AS oldest_dirty_s,
       refreshed, refreshed / ($minutes * 60.0) AS refresh_per_s, gnn_p50_s, gnn_p95_s, gnn_p99_s, models
