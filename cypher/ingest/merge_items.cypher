// Upsert items with their catalogue metadata and categories; mark them dirty.
// $rows: [{id, title?, price?, meta_ms?, categories: [string]}], $now_ms: int
// Returns nothing. Metadata carries the time of the event that brought it (meta_ms) and only
// newer metadata overwrites, so batches may commit in any order; missing fields never erase.
// A new or changed title is marked text_pending for the text pass.
UNWIND $rows AS row
MERGE (i:Item {id: row.id})
WITH i, row, row.meta_ms IS NOT NULL AND (i.meta_at IS NULL OR row.meta_ms >= i.meta_at) AS newer
WITH i, row, newer,
     CASE WHEN row.title IS NOT NULL AND (newer OR i.title IS NULL) THEN row.title ELSE i.title END AS title
SET i.text_pending = CASE WHEN title IS NOT NULL AND title <> coalesce(i.title, '') THEN true
                          ELSE i.text_pending END,
    i.title = title,
    i.price = CASE WHEN row.price IS NOT NULL AND (newer OR i.price IS NULL) THEN row.price ELSE i.price END,
    i.meta_at = CASE WHEN newer THEN row.meta_ms ELSE i.meta_at END,
    i.dirty_since = coalesce(i.dirty_since, datetime({epochMillis: $now_ms})),
    i.dirty_seq = coalesce(i.dirty_seq, 0) + 1,
    i.touched_ms = $now_ms
WITH i, row
UNWIND row.categories AS name
MERGE (c:Category {id: name})
  ON CREATE SET c.name = name
MERGE (i)-[:IN_CATEGORY]->(c)
