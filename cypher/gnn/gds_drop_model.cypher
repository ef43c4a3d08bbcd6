// Drop a trained GDS model from the model catalog if it is there.
// $model: string
// Returns: model (name, or nothing when it was absent).
CALL gds.model.drop($model, false) YIELD modelName
RETURN modelName AS model
