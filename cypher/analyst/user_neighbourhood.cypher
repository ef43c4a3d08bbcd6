// A user's neighbourhood as paths, for Browser and the report's graph: the top interests,
// the strongest behaviour on items, and the most similar users.
// $user_id: string                 the shopper
// $k: int = 8                      how many of each kind
// Returns: kind (interest|behaviour|similar), path, weight.
MATCH (u:User {id: $user_id})
CALL (u) {
  MATCH p = (u)-[r:INTERESTED_IN]->(:Category)
  WITH p, r ORDER BY r.weight DESC LIMIT $k
  RETURN 'interest' AS kind, p, r.weight AS weight
  UNION ALL
  MATCH p = (u)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(:Item)
  WITH p, r ORDER BY r.weight DESC LIMIT $k
  RETURN 'behaviour' AS kind, p, r.weight AS weight
  UNION ALL
  MATCH p = (u)-[r:SIMILAR_TO]->(:User)
  WITH p, r ORDER BY r.score DESC LIMIT $k
  RETURN 'similar' AS kind, p, r.score AS weight
}
RETURN kind, p AS path, weight
ORDER BY kind, weight DESC
