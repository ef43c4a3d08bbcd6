// Items' content as the item tower reads it (gnn.runtime.ItemRecord); their live statistics are
// gnn/item_live's.
// $ids: [string]
// Returns: id, seq (content_seq: the cache key of the item's base vector), text (title vector or
// null), text_model, price, categories ([id]).
UNWIND $ids AS id
MATCH (i:Item {id: id})
RETURN i.id AS id, coalesce(i.content_seq, 0) AS seq, i.text_embedding AS text, i.text_model AS text_model,
       i.price AS price, [(i)-[:IN_CATEGORY]->(c:Category) | c.id] AS categories
