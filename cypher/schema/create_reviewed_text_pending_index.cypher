// Relationship range index so the text pass finds review texts not yet scored without a scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX reviewed_text_pending IF NOT EXISTS FOR ()-[r:REVIEWED]-() ON (r.text_pending)
