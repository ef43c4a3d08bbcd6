// Every user's vector (the fresh one, else the indexed copy), of one namespace or of the whole
// database, for exact nearest-neighbour search in the recall benchmark.
// $prefix: string ("": every user)
// Returns: id, vector ([float]).
MATCH (u:User)
WHERE $prefix = '' OR u.id STARTS WITH $prefix
WITH u, coalesce(u.embedding_fresh, u.embedding) AS vector
WHERE vector IS NOT NULL
RETURN u.id AS id, vector
