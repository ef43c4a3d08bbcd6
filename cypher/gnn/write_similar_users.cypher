// Replace users' SIMILAR_TO edges by the neighbours gnn/nearest_users found; similar_at marks
// when this was last done (a user with no neighbour left keeps none).
// $rows: [{id, similar: [{id, score}]}] (sorted by id, so concurrent writes lock in one order)
// Returns: id, similar (int).
UNWIND $rows AS row
MATCH (u:User {id: row.id})
CALL (u) {
  MATCH (u)-[old:SIMILAR_TO]->()
  DELETE old
}
SET u.similar_at = datetime()
WITH u, row
CALL (u, row) {
  UNWIND row.similar AS near
  MATCH (node:User {id: near.id})
  CREATE (u)-[:SIMILAR_TO {score: near.score, computed_at: datetime()}]->(node)
  RETURN count(node) AS similar
}
RETURN row.id AS id, similar
