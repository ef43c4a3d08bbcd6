// Upsert items with their catalogue metadata and categories; mark them dirty.
// $rows: [{id, title?, price?, categories: [string]}], $now_ms: int
// Returns nothing. Missing metadata never erases what the graph already knows.
UNWIND $rows AS row
MERGE (i:Item {id: row.id})
SET i.title = coalesce(row.title, i.title),
    i.price = coalesce(row.price, i.price),
    i.dirty_since = coalesce(i.dirty_since, datetime({epochMillis: $now_ms})),
    i.dirty_seq = coalesce(i.dirty_seq, 0) + 1
WITH i, row
UNWIND row.categories AS name
MERGE (c:Category {id: name})
  ON CREATE SET c.name = name
MERGE (i)-[:IN_CATEGORY]->(c)
