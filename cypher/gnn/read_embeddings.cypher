// Vectors of one namespace's users and items from a chosen property (embedding, or a GDS one).
// $prefix: string, $property: string, $ids: [string] | null (only these nodes; null = all)
// Returns: label, id, vector (null when the node has none).
CALL () {
  MATCH (n:User) WHERE n.id STARTS WITH $prefix RETURN n
  UNION
  MATCH (n:Item) WHERE n.id STARTS WITH $prefix RETURN n
}
WITH n WHERE $ids IS NULL OR n.id IN $ids
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id, n[$property] AS vector
