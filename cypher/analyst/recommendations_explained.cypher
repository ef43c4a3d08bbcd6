// Recommendations for a user (the same vector-index answer as `interestgraph recommend`: new
// items only) with the paths that support each one: the user's interest in the item's
// categories and similar shoppers who acted on it.
// Needs: embedding
// $user_id: string                 the shopper
// $k: int = 10                     how many items
// $prefix: string = ""             only items whose id starts with this (a namespace); "" for all
// Returns: item_id, title, score, reasons, paths.
MATCH (u:User {id: $user_id})
WHERE u.embedding IS NOT NULL
WITH u, COUNT { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->() } AS seen
CALL (u, seen) {
  // No namespace: the vector index. A namespace: every item in it, scored exactly (the index
  // cannot filter, and in a database shared with other data its top hits may all lie outside).
  WITH u, seen WHERE $prefix = ''
  CALL db.index.vector.queryNodes('item_embedding', $k + seen, u.embedding) YIELD node AS item, score
  RETURN item, score
  UNION
  WITH u WHERE $prefix <> ''
  MATCH (item:Item) WHERE item.id STARTS WITH $prefix AND item.embedding IS NOT NULL
  RETURN item, vector.similarity.cosine(u.embedding, item.embedding) AS score
}
WITH u, item, score
WHERE NOT EXISTS { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(item) }
WITH u, item, score ORDER BY score DESC, item.id LIMIT $k
CALL (u, item) {
  OPTIONAL MATCH p = (u)-[r:INTERESTED_IN]->(c:Category)<-[:IN_CATEGORY]-(item)
  WHERE r.weight > 0
  WITH p, c, r ORDER BY r.weight DESC
  RETURN collect(p) AS category_paths, collect('interested in ' + coalesce(c.name, c.id)) AS category_reasons
}
CALL (u, item) {
  OPTIONAL MATCH p = (u)-[s:SIMILAR_TO]->(v:User)-[b:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(item)
  WITH p, v, b, s ORDER BY s.score * b.weight DESC, v.id
  RETURN collect(p)[..3] AS peer_paths,
         collect('similar shopper ' + v.id + ' ' + toLower(type(b)) + ' it')[..3] AS peer_reasons
}
RETURN item.id AS item_id, item.title AS title, score,
       category_reasons + peer_reasons AS reasons, category_paths + peer_paths AS paths
ORDER BY score DESC, item_id
