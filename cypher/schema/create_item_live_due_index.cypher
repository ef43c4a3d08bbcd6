// Range index so refresh can find the items whose live statistics have faded enough to be
// re-embedded (live_due_ms, set when an item's vector is written) without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX item_live_due IF NOT EXISTS FOR (n:Item) ON (n.live_due_ms)
