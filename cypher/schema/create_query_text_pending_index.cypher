// Range index so the text pass finds queries without a vector yet without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX query_text_pending IF NOT EXISTS FOR (n:Query) ON (n.text_pending)
