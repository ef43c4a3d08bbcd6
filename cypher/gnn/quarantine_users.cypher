// Take users whose vector cannot be computed out of the dirty backlog, so they cannot block it:
// their stored behaviour breaks what the model reads (e.g. a hand-edited relationship whose
// last_at is not a datetime). The reason stays on the node (embed_error) for an analyst to see;
// the user's next event marks it dirty again and the next vector write clears the reason.
// $ids: [string], $error: string
// Returns: id.
UNWIND $ids AS id
MATCH (u:User {id: id})
SET u.embed_error = $error, u.dirty_since = null, u.lease_until = null, u.lease_owner = null
RETURN u.id AS id
