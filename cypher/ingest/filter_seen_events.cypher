// Which of these event ids were already applied (the exactly-once ledger).
// $ids: [string]
// Returns: id (string), one row per id already seen.
UNWIND $ids AS id
MATCH (e:SeenEvent {id: id})
RETURN e.id AS id
