// One page of search queries with their text vectors, for training.
// $after: string (last id of the previous page), $limit: int, $prefix: string (the users' namespace:
// queries are shared, so only those searched by users under it)
// Returns: id, seq, text, text_model.
MATCH (q:Query)
WHERE q.id > $after AND EXISTS { (u:User)-[:SEARCHED]->(q) WHERE u.id STARTS WITH $prefix }
WITH q ORDER BY q.id LIMIT $limit
RETURN q.id AS id, coalesce(q.content_seq, 0) AS seq, q.embedding AS text, q.text_model AS text_model
