// Searched queries' text vectors, for the queries in users' recent behaviour.
// $ids: [string]
// Returns: id, seq (content_seq), text (vector or null), text_model.
UNWIND $ids AS id
MATCH (q:Query {id: id})
RETURN q.id AS id, coalesce(q.content_seq, 0) AS seq, q.embedding AS text, q.text_model AS text_model
