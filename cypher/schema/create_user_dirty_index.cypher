// Range index so refresh can claim the oldest dirty :User nodes without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX user_dirty_since IF NOT EXISTS FOR (n:User) ON (n.dirty_since)
