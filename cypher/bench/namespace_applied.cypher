// How many events with this id prefix the ledger says were applied.
// $prefix: string
// Returns: n (int).
MATCH (e:SeenEvent) WHERE e.id STARTS WITH $prefix
RETURN count(e) AS n
