// Remove the recall benchmark's :AnnProbe nodes of one namespace, in batches.
// $prefix: string
// Returns nothing. Must run in an implicit transaction.
MATCH (p:AnnProbe)
WHERE p.id STARTS WITH $prefix
CALL (p) {
  DELETE p
} IN TRANSACTIONS OF 5000 ROWS
