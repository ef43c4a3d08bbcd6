// Every :User has a unique string id (also the index that MERGE on id uses).
// No parameters. Returns nothing. Idempotent.
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE
