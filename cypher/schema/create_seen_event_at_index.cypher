// Range index on the ledger's time, so pruning old entries does not scan the ledger.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX seen_event_at IF NOT EXISTS FOR (n:SeenEvent) ON (n.at)
