// Items' content versions and live statistics: what a refresh of items whose base vectors are
// already cached needs (their text vectors are read only when the content moved: gnn/item_content).
// $ids: [string]
// Returns: id, seq (content_seq), dirty_seq (the write guard), the live counters (ingest/count_new_buyers):
// live_decayed ([float] as of live_ms), live_ms, live_total, live_first_ms, and live_seq (the write clears
// the dirty mark only if no buyer came meanwhile).
UNWIND $ids AS id
MATCH (i:Item {id: id})
RETURN i.id AS id, coalesce(i.content_seq, 0) AS seq, coalesce(i.dirty_seq, 0) AS dirty_seq,
       i.live_decayed AS live_decayed, i.live_ms AS live_ms, i.live_total AS live_total,
       i.live_first_ms AS live_first_ms, coalesce(i.live_seq, 0) AS live_seq
