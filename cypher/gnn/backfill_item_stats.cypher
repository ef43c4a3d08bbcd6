// Give items that have no live counters yet (ingested before ingest kept them) the counters the
// training export computed from their edges; items that have them keep theirs (ingest maintains them).
// $rows: [{id, decayed: [float] (as of live_ms), live_ms, total, first_ms}]
// Returns: id, one row per item given counters.
UNWIND $rows AS row
MATCH (i:Item {id: row.id})
WHERE i.live_total IS NULL
SET i.live_decayed = row.decayed, i.live_ms = row.live_ms, i.live_total = row.total,
    i.live_first_ms = row.first_ms, i.live_seq = coalesce(i.live_seq, 0)
RETURN i.id AS id
