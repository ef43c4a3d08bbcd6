// Remove a benchmark's nodes (by id prefix), its ledger entries and its queries (a Query's id
// hashes its text, so a namespace's queries are those whose normalised text starts with the
// prefix: ingest.synthetic writes them so; the prefix must be lower case), in batches.
// $prefix: string
// Returns nothing. Must run in an implicit transaction.
CALL () {
  MATCH (n:User|Item|Category|SeenEvent)
  WHERE n.id STARTS WITH $prefix
  RETURN n
  UNION
  MATCH (n:Query)
  WHERE n.text STARTS WITH $prefix
  RETURN n
}
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 5000 ROWS
