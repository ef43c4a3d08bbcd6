// Every :SeenEvent has a unique string id (also the index that MERGE on id uses).
// No parameters. Returns nothing. Idempotent.
CREATE CONSTRAINT seen_event_id IF NOT EXISTS FOR (n:SeenEvent) REQUIRE n.id IS UNIQUE
