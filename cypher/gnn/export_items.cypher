// One page of items with their content, for training (keyset pagination on the id index).
// $prefix: string (id namespace, '' for all), $after: string (last id of the previous page), $limit: int
// Returns: id, seq, text, text_model, price, categories ([id]).
MATCH (i:Item)
WHERE i.id STARTS WITH $prefix AND i.id > $after
WITH i ORDER BY i.id LIMIT $limit
RETURN i.id AS id, coalesce(i.content_seq, 0) AS seq, i.text_embedding AS text, i.text_model AS text_model,
       i.price AS price, [(i)-[:IN_CATEGORY]->(c:Category) | c.id] AS categories
