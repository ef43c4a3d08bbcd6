// Totals of everything ingested under one id prefix, to check two ingest paths agree.
// $prefix: string
// Returns: type, rels, events (sum of count), weight (sum of weight).
MATCH (u:User)-[r]->()
WHERE u.id STARTS WITH $prefix AND NOT r:SIMILAR_TO
RETURN type(r) AS type, count(r) AS rels, sum(coalesce(r.count, r.events, 0)) AS events,
       sum(coalesce(r.weight, 0.0)) AS weight
ORDER BY type
