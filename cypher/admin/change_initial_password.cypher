// Replace Neo4j's first-start password on a new local server (run against `system`).
// $old: the documented initial password; $new: NEO4J_PASSWORD.
// Returns nothing.
ALTER CURRENT USER SET PASSWORD FROM $old TO $new
