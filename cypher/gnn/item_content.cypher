// Items' content as the item tower reads it (gnn.runtime.ItemRecord).
// $ids: [string]
// Returns: id, seq (content_seq: the cache key of the item's vector), dirty_seq (the write guard),
// text (title vector or null), text_model, price, categories ([id]).
UNWIND $ids AS id
MATCH (i:Item {id: id})
RETURN i.id AS id, coalesce(i.content_seq, 0) AS seq, coalesce(i.dirty_seq, 0) AS dirty_seq,
       i.text_embedding AS text, i.text_model AS text_model, i.price AS price, [(i)-[:IN_CATEGORY]->(c:Category) | c.id] AS categories
