// Train GDS GraphSAGE (unsupervised) on a projected graph.
// $graph: string, $model: string, $dim: int, $seed: int
// Returns: millis (training time).
CALL gds.beta.graphSage.train($graph, {
  modelName: $model, featureProperties: ['features'], embeddingDimension: $dim, randomSeed: $seed,
  concurrency: 1, epochs: 10, aggregator: 'mean', activationFunction: 'relu', sampleSizes: [25, 10],
  relationshipWeightProperty: 'weight'
})
YIELD trainMillis
RETURN trainMillis AS millis
