// Nodes whose vector is stale: missing, dirty (behaviour landed after the last refresh), or
// written by a model other than $model. Longest-waiting first. A user's vector is its fresh one
// (embedding_fresh; the indexed embedding follows it within seconds).
// $model: string|null = null       the model that should be in use (e.g. the active one); null: any
// $prefix: string = ""             only ids starting with this (a namespace); "" for all
// $k: int = 20                     how many nodes
// Returns: label, id, reason (missing|dirty|old_model), model, embedded_at, dirty_since, waiting_s.
MATCH (n:User|Item)
WHERE n.id STARTS WITH $prefix
  AND (coalesce(n.embedding_fresh, n.embedding) IS NULL OR n.dirty_since IS NOT NULL
       OR ($model IS NOT NULL AND n.embedding_model <> $model))
WITH n, CASE WHEN coalesce(n.embedding_fresh, n.embedding) IS NULL THEN 'missing'
             WHEN n.dirty_since IS NOT NULL THEN 'dirty' ELSE 'old_model' END AS reason,
     coalesce(n.dirty_since, n.embedded_at) AS since
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id, reason, n.embedding_model AS model,
       n.embedded_at AS embedded_at, n.dirty_since AS dirty_since,
       CASE WHEN since IS NULL THEN null ELSE (datetime().epochMillis - since.epochMillis) / 1000.0 END AS waiting_s
ORDER BY waiting_s DESC, id
LIMIT $k
