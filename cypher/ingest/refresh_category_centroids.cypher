// Recompute each category's text centroid: the mean title vector of (up to $sample of) its
// items, which query intent matches searches against through the category_text_centroid index.
// $ids: [string], $sample: int
// Returns: category, items (how many vectors the centroid averages).
UNWIND $ids AS id
MATCH (c:Category {id: id})
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
SET c.text_items = n
RETURN c.id AS category, n AS items
