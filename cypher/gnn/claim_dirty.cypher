// Claim up to $limit dirty users and $limit dirty items under a lease, oldest first.
// $now_ms: int, $lease_ms: int, $owner: string, $limit: int, $quiet_ms: int, $max_wait_ms: int
// Debounce: a node is claimed once it has been quiet for $quiet_ms, or has waited $max_wait_ms
// since it became dirty, so a burst of events costs one or two refreshes, not one per event.
// Returns: label ('User'|'Item'), id, dirty_seq (the touch count seen at claim time),
// accepted_ms (the newest event acceptance the refreshed vector will include).
// The dummy lease_lock write takes each node's write lock *before* the lease is re-read, so
// two workers racing for one node cannot both win; a crashed worker's lease simply expires.
CALL () {
  MATCH (n:User)
  WHERE n.dirty_since IS NOT NULL AND coalesce(n.lease_until, 0) < $now_ms
    AND (coalesce(n.touched_ms, 0) <= $now_ms - $quiet_ms OR n.dirty_since.epochMillis <= $now_ms - $max_wait_ms)
  RETURN n ORDER BY n.dirty_since LIMIT $limit
  UNION
  MATCH (n:Item)
  WHERE n.dirty_since IS NOT NULL AND coalesce(n.lease_until, 0) < $now_ms
    AND (coalesce(n.touched_ms, 0) <= $now_ms - $quiet_ms OR n.dirty_since.epochMillis <= $now_ms - $max_wait_ms)
  RETURN n ORDER BY n.dirty_since LIMIT $limit
}
SET n.lease_lock = true
WITH n, n.dirty_since IS NOT NULL AND coalesce(n.lease_until, 0) < $now_ms AS free
REMOVE n.lease_lock
WITH n WHERE free
SET n.lease_until = $now_ms + $lease_ms, n.lease_owner = $owner
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id, n.dirty_seq AS dirty_seq,
       n.accepted_ms AS accepted_ms
