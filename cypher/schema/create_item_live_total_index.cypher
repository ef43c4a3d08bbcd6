// Range index on items' buyer counts, so the ranking's most popular candidates come in index order
// (ORDER BY live_total DESC LIMIT n) without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX item_live_total IF NOT EXISTS FOR (n:Item) ON (n.live_total)
