// Seed nodes of a neighbourhood pull, by label and id.
// $users: [string], $items: [string]
// Returns: eid (elementId, valid inside this transaction), labels, id, name, price, degree.
CALL () {
  UNWIND $users AS id
  MATCH (n:User {id: id})
  RETURN n
  UNION
  UNWIND $items AS id
  MATCH (n:Item {id: id})
  RETURN n
}
RETURN elementId(n) AS eid, labels(n) AS labels, n.id AS id, coalesce(n.name, n.text, n.title) AS name,
       n.price AS price,
       COUNT { (n)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|SEARCHED|REVIEWED|IN_CATEGORY]-() } AS degree
