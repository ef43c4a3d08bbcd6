// Drop a projected graph from the GDS catalog if it is there.
// $graph: string
// Returns: graph (name, or nothing when it was absent).
CALL gds.graph.drop($graph, false) YIELD graphName
RETURN graphName AS graph
