// Users most similar to a user (the stored SIMILAR_TO top-k by embedding) and the paths that
// explain why: the items both acted on and the categories both are interested in. Run it in
// Browser to see the paths drawn.
// $user_id: string                 the shopper
// $k: int = 10                     how many similar users
// $paths: int = 3                  how many explaining paths of each kind per user
// Returns: user_id, score, shared_items, shared_categories, reasons, paths.
MATCH (u:User {id: $user_id})-[s:SIMILAR_TO]->(v:User)
WITH u, v, s ORDER BY s.score DESC, v.id LIMIT $k
CALL (u, v) {
  OPTIONAL MATCH p = (u)-[a:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(i:Item)
                     <-[b:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]-(v)
  WITH p, i, a, b ORDER BY a.weight * b.weight DESC, i.id
  RETURN count(DISTINCT i) AS shared_items, collect(p)[..$paths] AS item_paths,
         collect('both ' + toLower(type(a)) + '/' + toLower(type(b)) + ' ' + coalesce(i.title, i.id))[..$paths] AS item_reasons
}
CALL (u, v) {
  OPTIONAL MATCH p = (u)-[a:INTERESTED_IN]->(c:Category)<-[b:INTERESTED_IN]-(v)
  WHERE a.weight > 0 AND b.weight > 0
  WITH p, c, a, b ORDER BY a.weight * b.weight DESC, c.id
  RETURN count(c) AS shared_categories, collect(p)[..$paths] AS category_paths,
         collect('both interested in ' + coalesce(c.name, c.id))[..$paths] AS category_reasons
}
RETURN v.id AS user_id, s.score AS score, shared_items, shared_categories,
       item_reasons + category_reasons AS reasons, item_paths + category_paths AS paths
ORDER BY score DESC, user_id
