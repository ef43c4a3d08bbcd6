// Upsert items with their catalogue metadata and categories.
// $rows: [{id, title?, price?, meta_ms?, categories: [string], categories_ms?}], $now_ms: int
// Returns nothing. Metadata carries the time of the event that brought it (meta_ms), clamped to
// the time of ingest ($now_ms): an event dated ahead (ts may be up to a day in the future)
// counts as "now", so it cannot block the real catalogue updates that follow it. Only newer
// metadata overwrites, so batches may commit in any order; missing fields never erase.
// An item's vector depends on its content only, so an item is marked for re-embedding
// (content_seq, dirty_seq, dirty_since) when it is new or its title, price or categories change;
// behaviour alone never dirties it. A new or changed title is marked text_pending for the text pass.
// The categories are a set, not a union: the newest event that names any (categories_ms, clamped
// like meta_ms, kept in categories_at) replaces the item's set, so an item never holds more than
// one event's categories (at most 32) however many events name it.
UNWIND $rows AS row
MERGE (i:Item {id: row.id})
  ON CREATE SET i.content_seq = 0, i.dirty_seq = 1, i.dirty_since = datetime({epochMillis: $now_ms}),
                i.touched_ms = $now_ms
WITH i, row, CASE WHEN row.meta_ms > $now_ms THEN $now_ms ELSE row.meta_ms END AS meta_ms
WITH i, row, meta_ms, meta_ms IS NOT NULL AND (i.meta_at IS NULL OR meta_ms >= i.meta_at) AS newer
WITH i, row, meta_ms, newer,
     CASE WHEN row.title IS NOT NULL AND (newer OR i.title IS NULL) THEN row.title ELSE i.title END AS title,
     CASE WHEN row.price IS NOT NULL AND (newer OR i.price IS NULL) THEN row.price ELSE i.price END AS price
WITH i, row, meta_ms, newer, title, price,
     coalesce(title, '') <> coalesce(i.title, '') OR coalesce(price, -1.0) <> coalesce(i.price, -1.0) AS changed
SET i.text_pending = CASE WHEN title IS NOT NULL AND title <> coalesce(i.title, '') THEN true
                          ELSE i.text_pending END,
    i.title = title,
    i.price = price,
    i.meta_at = CASE WHEN newer THEN meta_ms ELSE i.meta_at END,
    i.content_seq = coalesce(i.content_seq, 0) + CASE WHEN changed THEN 1 ELSE 0 END,
    i.dirty_seq = coalesce(i.dirty_seq, 0) + CASE WHEN changed THEN 1 ELSE 0 END,
    i.dirty_since = CASE WHEN changed THEN coalesce(i.dirty_since, datetime({epochMillis: $now_ms}))
                         ELSE i.dirty_since END,
    i.touched_ms = CASE WHEN changed THEN $now_ms ELSE i.touched_ms END
WITH i, row, CASE WHEN row.categories_ms > $now_ms THEN $now_ms ELSE row.categories_ms END AS categories_ms
WITH i, row, categories_ms, size(row.categories) > 0 AND categories_ms IS NOT NULL
     AND (i.categories_at IS NULL OR categories_ms >= i.categories_at) AS replace
CALL (i, row, replace) {
  OPTIONAL MATCH (i)-[old:IN_CATEGORY]->(c:Category)
  WHERE replace AND NOT c.id IN row.categories
  DELETE old
  RETURN count(old) AS dropped
}
SET i.categories_at = CASE WHEN replace THEN categories_ms ELSE i.categories_at END,
    i.content_seq = i.content_seq + CASE WHEN dropped > 0 THEN 1 ELSE 0 END,
    i.dirty_seq = i.dirty_seq + CASE WHEN dropped > 0 THEN 1 ELSE 0 END,
    i.dirty_since = CASE WHEN dropped > 0 THEN coalesce(i.dirty_since, datetime({epochMillis: $now_ms}))
                         ELSE i.dirty_since END,
    i.touched_ms = CASE WHEN dropped > 0 THEN $now_ms ELSE i.touched_ms END
WITH i, row, replace
UNWIND CASE WHEN replace THEN row.categories ELSE [] END AS name
MERGE (c:Category {id: name})
  ON CREATE SET c.name = name
MERGE (i)-[:IN_CATEGORY]->(c)
  ON CREATE SET i.content_seq = i.content_seq + 1, i.dirty_seq = i.dirty_seq + 1,
                i.dirty_since = coalesce(i.dirty_since, datetime({epochMillis: $now_ms})), i.touched_ms = $now_ms
