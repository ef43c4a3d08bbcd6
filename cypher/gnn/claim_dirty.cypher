// Claim up to $limit dirty users and $limit dirty items under a lease, oldest first.
// $now_ms: int, $lease_ms: int, $owner: string, $limit: int, $quiet_ms: int, $max_wait_ms: int,
// $user_grace_ms: int, $prefix: string ("": every node; else only ids starting with it)
// Users are re-embedded at ingest, right after their events commit; a user still dirty
// $user_grace_ms later missed that (a crash, an outage, a new model) and is the backlog's.
// Items are debounced: claimed once quiet for $quiet_ms, or after $max_wait_ms at the latest; an item
// whose live counts have faded since its vector was written (live_due_ms passed) is claimed too.
// Returns: label ('User'|'Item'), id.
// The dummy lease_lock write takes each node's write lock *before* the lease is re-read, so
// two workers racing for one node cannot both win; a crashed worker's lease simply expires.
CALL () {
  MATCH (n:User)
  WHERE n.dirty_since IS NOT NULL AND coalesce(n.lease_until, 0) < $now_ms
    AND n.dirty_since.epochMillis <= $now_ms - $user_grace_ms
    AND ($prefix = '' OR n.id STARTS WITH $prefix)
  RETURN n ORDER BY n.dirty_since LIMIT $limit
  UNION
  MATCH (n:Item)
  WHERE n.dirty_since IS NOT NULL AND coalesce(n.lease_until, 0) < $now_ms
    AND (coalesce(n.touched_ms, 0) <= $now_ms - $quiet_ms OR n.dirty_since.epochMillis <= $now_ms - $max_wait_ms)
    AND ($prefix = '' OR n.id STARTS WITH $prefix)
  RETURN n ORDER BY n.dirty_since LIMIT $limit
  UNION
  MATCH (n:Item)
  WHERE n.live_due_ms <= $now_ms AND coalesce(n.lease_until, 0) < $now_ms
    AND ($prefix = '' OR n.id STARTS WITH $prefix)
  RETURN n ORDER BY n.live_due_ms LIMIT $limit
}
SET n.lease_lock = true
WITH n, (n.dirty_since IS NOT NULL OR n.live_due_ms <= $now_ms) AND coalesce(n.lease_until, 0) < $now_ms AS free
REMOVE n.lease_lock
WITH n WHERE free
SET n.lease_until = $now_ms + $lease_ms, n.lease_owner = $owner
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id
