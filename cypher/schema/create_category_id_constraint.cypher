// Every :Category has a unique string id (also the index that MERGE on id uses).
// No parameters. Returns nothing. Idempotent.
CREATE CONSTRAINT category_id IF NOT EXISTS FOR (n:Category) REQUIRE n.id IS UNIQUE
