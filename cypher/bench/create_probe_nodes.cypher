// Copy one namespace's fresh user vectors onto :AnnProbe nodes, which the recall benchmark
// indexes with one HNSW setting after another (Neo4j allows one vector index per label and
// property, and the user_embedding index must stay as it is).
// $prefix: string
// Returns: probes (int).
MATCH (u:User)
WHERE u.id STARTS WITH $prefix AND u.embedding_fresh IS NOT NULL
CREATE (p:AnnProbe {id: u.id})
WITH p, u
CALL db.create.setNodeVectorProperty(p, 'vec', u.embedding_fresh)
RETURN count(p) AS probes
