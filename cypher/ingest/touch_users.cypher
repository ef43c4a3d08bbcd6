// Upsert users who acted and mark them dirty for the next embedding refresh.
// $rows: [{id, accepted_ms}] (the newest acceptance time of the user's events in the batch),
// $now_ms: int
// Returns nothing. dirty_since keeps the oldest unserved time; dirty_seq counts touches so a
// refresh clears the mark only if nobody touched the user meanwhile; accepted_ms lets a
// refresh say which events its vector already includes (freshness is measured from it).
UNWIND $rows AS row
MERGE (u:User {id: row.id})
SET u.dirty_since = coalesce(u.dirty_since, datetime({epochMillis: $now_ms})),
    u.dirty_seq = coalesce(u.dirty_seq, 0) + 1,
    u.touched_ms = $now_ms,
    u.accepted_ms = CASE WHEN u.accepted_ms IS NULL OR row.accepted_ms > u.accepted_ms
                         THEN row.accepted_ms ELSE u.accepted_ms END
