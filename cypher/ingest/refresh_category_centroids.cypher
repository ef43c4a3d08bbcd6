// Recompute each category's text centroid: the mean title vector of (up to $sample of) its
// items, which query intent matches searches against through the category_text_centroid index.
// A centroid of $sample items hardly moves with one more title, so a full one is recomputed at
// most every $min_age_ms: under a stream of new items this keeps the database's time for ingest.
// $ids: [string], $sample: int, $now_ms: int, $min_age_ms: int
// Returns: category, items (how many vectors the centroid averages).
UNWIND $ids AS id
MATCH (c:Category {id: id})
WHERE coalesce(c.text_items, 0) < $sample OR c.centroid_ms IS NULL OR c.centroid_ms <= $now_ms - $min_age_ms
CALL (c) {
  MATCH (c)<-[:IN_CATEGORY]-(i:Item)
  WHERE i.text_embedding IS NOT NULL
  WITH i ORDER BY i.id LIMIT $sample
  RETURN collect(i.text_embedding) AS vs
}
WITH c, vs
WHERE size(vs) > 0
WITH c, size(vs) AS n, [k IN range(0, size(vs[0]) - 1) | reduce(s = 0.0, v IN vs | s + v[k]) / size(vs)] AS centroid
CALL db.create.setNodeVectorProperty(c, 'text_centroid', centroid)
SET c.text_items = n, c.centroid_ms = $now_ms
RETURN c.id AS category, n AS items
