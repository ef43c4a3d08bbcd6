// Our vector indexes and their settings, to catch a dimension or a setting that no longer matches.
// $names: [string], the index names that schema/create_*_index create.
// Returns: name (string), label (string), dim (int), quantized (bool), m (int).
SHOW VECTOR INDEXES YIELD name, labelsOrTypes, options
WHERE name IN $names
RETURN name, labelsOrTypes[0] AS label, options.indexConfig.`vector.dimensions` AS dim,
       options.indexConfig.`vector.quantization.enabled` AS quantized, options.indexConfig.`vector.hnsw.m` AS m
