// What the database holds besides one benchmark's namespace: a benchmark on an empty
// database hides the cost of hubs, so every benchmark reports this next to its figures.
// $prefix: string (the benchmark's namespace)
// Returns: users, items, categories, behaviour (relationships from users).
CALL () { MATCH (n:User) WHERE NOT n.id STARTS WITH $prefix RETURN count(n) AS users }
CALL () { MATCH (n:Item) WHERE NOT n.id STARTS WITH $prefix RETURN count(n) AS items }
CALL () { MATCH (n:Category) WHERE NOT n.id STARTS WITH $prefix RETURN count(n) AS categories }
CALL () {
  MATCH (u:User)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED|SEARCHED]->()
  WHERE NOT u.id STARTS WITH $prefix
  RETURN count(r) AS behaviour
}
RETURN users, items, categories, behaviour
