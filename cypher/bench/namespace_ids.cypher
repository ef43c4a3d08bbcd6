// Every user and item id of one namespace.
// $prefix: string
// Returns: users ([string]), items ([string]).
CALL () { MATCH (u:User) WHERE u.id STARTS WITH $prefix RETURN collect(u.id) AS users }
CALL () { MATCH (i:Item) WHERE i.id STARTS WITH $prefix RETURN collect(i.id) AS items }
RETURN users, items
