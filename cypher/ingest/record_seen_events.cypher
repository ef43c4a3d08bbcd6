// Add applied event ids to the ledger, in the same transaction as their effects.
// $ids: [string], $now_ms: int (epoch ms), $kept: bool (a backfill: pruning never drops these ids,
// so loading the same history again stays a no-op)
// Returns nothing. The uniqueness constraint on SeenEvent.id fails a concurrent duplicate.
UNWIND $ids AS id
CREATE (:SeenEvent {id: id, at: datetime({epochMillis: $now_ms}), kept: CASE WHEN $kept THEN true END})
