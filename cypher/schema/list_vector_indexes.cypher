// Our vector indexes and their dimensions, to catch a dimension that no longer matches.
// $names: [string], the index names that schema/create_*_embedding_index create.
// Returns: name (string), label (string), dim (int).
SHOW VECTOR INDEXES YIELD name, labelsOrTypes, options
WHERE name IN $names
RETURN name, labelsOrTypes[0] AS label, options.indexConfig.`vector.dimensions` AS dim
