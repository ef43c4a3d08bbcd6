// The properties node features are made of, for nodes first reached in a neighbourhood pull.
// $eids: [string] elementIds from earlier statements of the same transaction.
// Returns: eid, labels, id, name, price, degree (behaviour and IN_CATEGORY relationships).
UNWIND $eids AS eid
MATCH (n) WHERE elementId(n) = eid
RETURN eid, labels(n) AS labels, n.id AS id, coalesce(n.name, n.text, n.title) AS name, n.price AS price,
       COUNT { (n)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|SEARCHED|REVIEWED|IN_CATEGORY]-() } AS degree
