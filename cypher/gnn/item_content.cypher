// Items' content as the item tower reads it (gnn.runtime.ItemRecord), and their live statistics.
// $ids: [string]
// Returns: id, seq (content_seq: the cache key of the item's base vector), dirty_seq (the write guard),
// text (title vector or null), text_model, price, categories ([id]), and the live counters
// (ingest/count_new_buyers): live_decayed ([float] as of live_ms), live_ms, live_total, live_first_ms,
// live_seq (the write clears the dirty mark only if no buyer came meanwhile).
UNWIND $ids AS id
MATCH (i:Item {id: id})
RETURN i.id AS id, coalesce(i.content_seq, 0) AS seq, coalesce(i.dirty_seq, 0) AS dirty_seq,
       i.text_embedding AS text, i.text_model AS text_model, i.price AS price,
       [(i)-[:IN_CATEGORY]->(c:Category) | c.id] AS categories,
       i.live_decayed AS live_decayed, i.live_ms AS live_ms, i.live_total AS live_total,
       i.live_first_ms AS live_first_ms, coalesce(i.live_seq, 0) AS live_seq
