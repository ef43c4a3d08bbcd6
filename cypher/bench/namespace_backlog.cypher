// Dirty users and items of one namespace (the refresh backlog).
// $prefix: string
// Returns: dirty (int).
CALL () {
  MATCH (n:User) WHERE n.dirty_since IS NOT NULL AND n.id STARTS WITH $prefix RETURN n
  UNION
  MATCH (n:Item) WHERE n.dirty_since IS NOT NULL AND n.id STARTS WITH $prefix RETURN n
}
RETURN count(n) AS dirty
