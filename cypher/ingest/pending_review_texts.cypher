// Reviews whose text has not been scored yet.
// $limit: int
// Returns: user, item, text.
MATCH (u:User)-[r:REVIEWED]->(i:Item)
WHERE r.text_pending = true
RETURN u.id AS user, i.id AS item, r.text AS text
LIMIT $limit
