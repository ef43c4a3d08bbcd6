// Range index so the text pass finds items whose title has no vector yet without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX item_text_pending IF NOT EXISTS FOR (n:Item) ON (n.text_pending)
