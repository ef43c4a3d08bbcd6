// Vectors of one namespace's users and items from a chosen property (embedding, or a GDS one).
// $prefix: string, $property: string
// Returns: label, id, vector (null when the node has none).
CALL () {
  MATCH (n:User) WHERE n.id STARTS WITH $prefix RETURN n
  UNION
  MATCH (n:Item) WHERE n.id STARTS WITH $prefix RETURN n
}
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id, n[$property] AS vector
