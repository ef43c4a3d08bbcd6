// The graph paths behind items recommended to a user: the user's interest in each item's
// categories, and similar shoppers who acted on it (the same reasons as
// analyst/recommendations_explained, for items the ranking chose).
// $user_id: string, $items: [string]
// Returns: item_id, reasons ([string]), paths ([path]).
MATCH (u:User {id: $user_id})
UNWIND $items AS id
MATCH (item:Item {id: id})
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
RETURN item.id AS item_id, category_reasons + peer_reasons AS reasons, category_paths + peer_paths AS paths
