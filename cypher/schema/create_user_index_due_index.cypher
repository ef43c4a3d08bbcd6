// Range index on :User.index_due_ms, so the index sync finds users whose indexed vector is behind
// their fresh one (oldest first) without a label scan.
// No parameters. Returns nothing. Idempotent.
CREATE INDEX user_index_due IF NOT EXISTS FOR (n:User) ON (n.index_due_ms)
