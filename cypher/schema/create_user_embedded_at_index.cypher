// Range index on :User.embedded_at, so freshness queries read only recent writes.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX user_embedded_at IF NOT EXISTS FOR (n:User) ON (n.embedded_at)
