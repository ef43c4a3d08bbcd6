// GDS FastRP on a projected graph, written back as a node property (seeded, one thread so
// that it is repeatable).
// $graph: string, $dim: int, $property: string, $seed: int
// Returns: nodes (written), millis (compute), write_millis.
CALL gds.fastRP.write($graph, {
  embeddingDimension: $dim, writeProperty: $property, randomSeed: $seed, concurrency: 1,
  relationshipWeightProperty: 'weight', iterationWeights: [0.0, 1.0, 1.0]
})
YIELD nodePropertiesWritten, computeMillis, writeMillis
RETURN nodePropertiesWritten AS nodes, computeMillis AS millis, writeMillis AS write_millis
