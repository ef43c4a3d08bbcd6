// Every :Query has a unique string id (also the index that MERGE on id uses).
// No parameters. Returns nothing. Idempotent.
CREATE CONSTRAINT query_id IF NOT EXISTS FOR (n:Query) REQUIRE n.id IS UNIQUE
