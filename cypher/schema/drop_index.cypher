// Drop one index by name (a text vector index whose size no longer matches the text model).
// $index: string, the index name. Returns nothing. Idempotent.
DROP INDEX $index IF EXISTS
