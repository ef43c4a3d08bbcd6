// Every :Item has a unique string id (also the index that MERGE on id uses).
// No parameters. Returns nothing. Idempotent.
CREATE CONSTRAINT item_id IF NOT EXISTS FOR (n:Item) REQUIRE n.id IS UNIQUE
