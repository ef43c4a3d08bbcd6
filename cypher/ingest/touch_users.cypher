// Upsert users who acted and mark them dirty for the next embedding refresh.
// $ids: [string], $now_ms: int
// Returns nothing. dirty_since keeps the oldest unserved time; dirty_seq counts touches so a
// refresh clears the mark only if nobody touched the user meanwhile.
UNWIND $ids AS id
MERGE (u:User {id: id})
SET u.dirty_since = coalesce(u.dirty_since, datetime({epochMillis: $now_ms})),
    u.dirty_seq = coalesce(u.dirty_seq, 0) + 1
