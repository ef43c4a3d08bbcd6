// Lease every user and item of an evaluation's namespace to the evaluation itself, so that the
// workers' scheduled refresh (beat) never re-embeds them with the active model while the evaluation
// writes the vectors of the model it evaluates (claim_dirty skips leased nodes).
// $prefix: string, $owner: string, $until_ms: int
// Returns: leased (int).
MATCH (n)
WHERE (n:User OR n:Item) AND n.id STARTS WITH $prefix
SET n.lease_owner = $owner, n.lease_until = $until_ms
RETURN count(n) AS leased
