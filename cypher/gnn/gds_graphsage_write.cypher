// Write GDS GraphSAGE embeddings back as a node property.
// $graph: string, $model: string, $property: string
// Returns: nodes, millis (compute), write_millis.
CALL gds.beta.graphSage.write($graph, {modelName: $model, writeProperty: $property, concurrency: 1})
YIELD nodePropertiesWritten, computeMillis, writeMillis
RETURN nodePropertiesWritten AS nodes, computeMillis AS millis, writeMillis AS write_millis
