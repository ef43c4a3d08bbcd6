// Range index on :User.indexed_at, so status reads the index lag of recent copies only.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX user_indexed_at IF NOT EXISTS FOR (n:User) ON (n.indexed_at)
