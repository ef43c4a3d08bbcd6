// The IN_CATEGORY relationships of one page of items, for a full-graph export.
// $prefix: string, $after: string (last item id of the previous page), $limit: int (items)
// Returns: src (item id), dst (category id).
MATCH (i:Item)
WHERE i.id STARTS WITH $prefix AND i.id > $after
WITH i ORDER BY i.id LIMIT $limit
MATCH (i)-[:IN_CATEGORY]->(c:Category)
RETURN i.id AS src, c.id AS dst
ORDER BY src, dst
