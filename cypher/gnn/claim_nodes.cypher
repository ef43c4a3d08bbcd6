// Claim named users and items for an immediate refresh, whether dirty or not, under a lease.
// $users: [string], $items: [string], $now_ms: int, $lease_ms: int, $owner: string
// Returns: label ('User'|'Item'), id, dirty_seq, accepted_ms. Nodes leased by another worker are skipped
// (that worker is refreshing them already); the lock-then-read order is as in claim_dirty.
CALL () {
  UNWIND $users AS id
  MATCH (n:User {id: id})
  RETURN n
  UNION
  UNWIND $items AS id
  MATCH (n:Item {id: id})
  RETURN n
}
SET n.lease_lock = true
WITH n, coalesce(n.lease_until, 0) < $now_ms AS free
REMOVE n.lease_lock
WITH n WHERE free
SET n.lease_until = $now_ms + $lease_ms, n.lease_owner = $owner
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id, coalesce(n.dirty_seq, 0) AS dirty_seq,
       n.accepted_ms AS accepted_ms
