// Block until every index is online, so the first queries after schema apply use them.
// No parameters. Returns nothing.
CALL db.awaitIndexes(300)
