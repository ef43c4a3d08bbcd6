// Embedding model versions in use and how fresh their vectors are, per label: what a
// retrain or a rollout has reached so far. model is null for nodes never embedded.
// $prefix: string = ""             only ids starting with this (a namespace); "" for all
// Returns: label, model, nodes, dirty, oldest_embedded_at, newest_embedded_at.
MATCH (n:User|Item)
WHERE n.id STARTS WITH $prefix
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.embedding_model AS model,
       count(*) AS nodes, count(n.dirty_since) AS dirty,
       min(n.embedded_at) AS oldest_embedded_at, max(n.embedded_at) AS newest_embedded_at
ORDER BY label DESC, nodes DESC, model
