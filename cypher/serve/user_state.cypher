// Whether a user exists and has a vector (fresh or indexed), to explain an empty answer.
// $user_id: string
// Returns: exists (bool), embedded (bool), model (string|null), dirty (bool).
OPTIONAL MATCH (u:User {id: $user_id})
RETURN u IS NOT NULL AS exists, coalesce(u.embedding_fresh, u.embedding) IS NOT NULL AS embedded,
       u.embedding_model AS model, u.dirty_since IS NOT NULL AS dirty
