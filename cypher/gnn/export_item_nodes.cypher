// One page of :Item nodes for a full-graph export (keyset pagination on the id index).
// $prefix: string (id namespace, '' for all), $after: string (last id of the previous page),
// $limit: int
// Returns: id, name, price, degree (the same features the neighbourhood pull computes).
MATCH (n:Item)
WHERE n.id STARTS WITH $prefix AND n.id > $after
WITH n ORDER BY n.id LIMIT $limit
RETURN n.id AS id, coalesce(n.name, n.text, n.title) AS name, n.price AS price,
       COUNT { (n)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|SEARCHED|REVIEWED|IN_CATEGORY]-() } AS degree
