// Drop ledger entries older than the retention window; a replay older than that is no
// longer recognised as a duplicate, so keep the window longer than any replay you expect.
// $before_ms: int (epoch ms)
// Returns nothing. Must run in an implicit transaction.
MATCH (e:SeenEvent)
WHERE e.at < datetime({epochMillis: $before_ms})
CALL (e) {
  DELETE e
} IN TRANSACTIONS OF 10000 ROWS
