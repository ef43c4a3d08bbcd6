// Range index on :Item.index_due_ms, so the index sync finds items whose indexed vector is behind
// their fresh one (oldest first) without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX item_index_due IF NOT EXISTS FOR (n:Item) ON (n.index_due_ms)
