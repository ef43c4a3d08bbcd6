// Candidate items for a user's ranking, with everything it reads: the model's top $n for the user's
// fresh vector (the vector index; with a prefix, every item of the namespace scored exactly), the $n most popular, and the
// named $items (the co-behaviour walk's best); only items the user has no behaviour on.
// $user_id: string, $n: int, $seen: int (the user's item count: the index's answer includes them),
// $items: [string], $prefix: string ("": every item; else ids starting with it)
// Returns: item_id, title, embedding (the fresh scoring vector; the index holds a copy seconds behind),
// live_decayed, live_ms, live_total, live_first_ms.
MATCH (u:User {id: $user_id})
WITH u, coalesce(u.embedding_fresh, u.embedding) AS z
CALL (u, z) {
  WITH z WHERE $prefix = '' AND z IS NOT NULL
  CALL db.index.vector.queryNodes('item_embedding', $n + $seen, z) YIELD node
  RETURN node AS item
  UNION
  WITH z WHERE $prefix <> '' AND z IS NOT NULL
  MATCH (item:Item) WHERE item.id STARTS WITH $prefix AND coalesce(item.embedding_fresh, item.embedding) IS NOT NULL
  WITH z, item ORDER BY vector.similarity.cosine(z, coalesce(item.embedding_fresh, item.embedding)) DESC, item.id
  LIMIT $n + $seen
  RETURN item
  UNION
  MATCH (item:Item) WHERE item.live_total IS NOT NULL AND ($prefix = '' OR item.id STARTS WITH $prefix)
  WITH item ORDER BY item.live_total DESC, item.id LIMIT $n + $seen
  RETURN item
  UNION
  UNWIND $items AS id
  MATCH (item:Item {id: id})
  RETURN item
}
WITH u, item, coalesce(item.embedding_fresh, item.embedding) AS vector
WHERE vector IS NOT NULL AND NOT EXISTS { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(item) }
RETURN item.id AS item_id, item.title AS title, vector AS embedding, item.live_decayed AS live_decayed,
       item.live_ms AS live_ms, item.live_total AS live_total, item.live_first_ms AS live_first_ms
