// Drop ledger entries older than the retention window; a replay older than that is no
// longer recognised as a duplicate, so keep the window longer than any replay you expect.
// Backfilled ids (kept) stay: ingest refuses events older than the window unless backfilling.
// $before_ms: int (epoch ms), $prefix: string ("": every entry; else only ids starting with it)
// Returns nothing. Must run in an implicit transaction.
MATCH (e:SeenEvent)
WHERE e.at < datetime({epochMillis: $before_ms}) AND e.kept IS NULL AND ($prefix = '' OR e.id STARTS WITH $prefix)
CALL (e) {
  DELETE e
} IN TRANSACTIONS OF 10000 ROWS
