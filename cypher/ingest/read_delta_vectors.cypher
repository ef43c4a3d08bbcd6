// Current vectors of the users and items a batch touched, for the delta path.
// $users: [string], $items: [string]
// Returns: label, id, vector, version (users only: bumped by every vector write, so a delta
// computed from an old vector is not written over a newer one).
CALL () {
  UNWIND $users AS id
  MATCH (n:User {id: id})
  WHERE n.embedding IS NOT NULL
  RETURN n
  UNION
  UNWIND $items AS id
  MATCH (n:Item {id: id})
  WHERE n.embedding IS NOT NULL
  RETURN n
}
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id, n.embedding AS vector,
       coalesce(n.vector_version, 0) AS version
