// Add applied event ids to the ledger, in the same transaction as their effects.
// $ids: [string], $now_ms: int (epoch ms)
// Returns nothing. The uniqueness constraint on SeenEvent.id fails a concurrent duplicate.
UNWIND $ids AS id
CREATE (:SeenEvent {id: id, at: datetime({epochMillis: $now_ms})})
