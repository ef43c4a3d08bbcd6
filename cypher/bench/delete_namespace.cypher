// Remove a benchmark's nodes (by id prefix) and its ledger entries, in batches.
// $prefix: string
// Returns nothing. Must run in an implicit transaction.
MATCH (n:User|Item|Category|SeenEvent)
WHERE n.id STARTS WITH $prefix
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 5000 ROWS
