// Range index so refresh can claim the oldest dirty :Item nodes without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX item_dirty_since IF NOT EXISTS FOR (n:Item) ON (n.dirty_since)
