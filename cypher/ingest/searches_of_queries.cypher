// Existing searches of newly embedded queries, so their intent reaches interests once.
// $ids: [string] (query ids)
// Returns: user, query, count, first_ms, last_ms, w (w: the decayed weight as of last_ms).
UNWIND $ids AS id
MATCH (u:User)-[s:SEARCHED]->(:Query {id: id})
RETURN u.id AS user, id AS query, s.count AS count, s.first_at.epochMillis AS first_ms,
       s.last_at.epochMillis AS last_ms, s.weight AS w
