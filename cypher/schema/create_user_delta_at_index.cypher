// Range index on :User.delta_at, so freshness queries read only recent writes.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX user_delta_at IF NOT EXISTS FOR (n:User) ON (n.delta_at)
