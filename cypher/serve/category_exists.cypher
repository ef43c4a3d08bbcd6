// Whether a category exists, to explain an empty cohort.
// $id: string
// Returns: exists (bool).
OPTIONAL MATCH (c:Category {id: $id})
RETURN c IS NOT NULL AS exists
