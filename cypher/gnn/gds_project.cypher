// Project one id namespace into a GDS in-memory graph (what GDS needs before every refresh).
// $graph: string (catalog name), $prefix: string
// Returns: nodes, relationships. Node property `features`: [is user, is item, is category,
// log(1 + degree)], for GraphSAGE; relationship property `weight`.
MATCH (s)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED|IN_CATEGORY]->(t)
WHERE s.id STARTS WITH $prefix
WITH s, t, r,
     [CASE WHEN s:User THEN 1.0 ELSE 0.0 END, CASE WHEN s:Item THEN 1.0 ELSE 0.0 END, 0.0,
      log(1.0 + COUNT { (s)--() })] AS sf,
     [0.0, CASE WHEN t:Item THEN 1.0 ELSE 0.0 END, CASE WHEN t:Category THEN 1.0 ELSE 0.0 END,
      log(1.0 + COUNT { (t)--() })] AS tf
WITH gds.graph.project($graph, s, t,
       {sourceNodeProperties: {features: sf}, targetNodeProperties: {features: tf},
        relationshipProperties: {weight: abs(coalesce(r.weight, 1.0))}},
       {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships
