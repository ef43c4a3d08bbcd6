// Users of one namespace whose vector was written since a moment, with what each write includes.
// $prefix: string, $since_ms: int
// Returns: id, delta_src_ms, delta_ms, embedded_src_ms, embedded_ms.
CALL () {
  MATCH (u:User) WHERE u.delta_at >= datetime({epochMillis: $since_ms}) RETURN u
  UNION
  MATCH (u:User) WHERE u.embedded_at >= datetime({epochMillis: $since_ms}) RETURN u
}
WITH u WHERE u.id STARTS WITH $prefix
RETURN u.id AS id, u.delta_src_ms AS delta_src_ms, u.delta_at.epochMillis AS delta_ms,
       u.embedded_src_ms AS embedded_src_ms, u.embedded_at.epochMillis AS embedded_ms
