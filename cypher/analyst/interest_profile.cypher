// A user's interest profile now: every INTERESTED_IN weight decayed to this moment, and its
// share of the user's positive interest. Shares do not depend on the reference time, so they
// read the same for a data set from 1998 as for today's traffic.
// $user_id: string                 the shopper
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 20                     how many categories
// Returns: category, name, weight (as stored, as of updated_at), weight_now, share, events, updated_at.
MATCH (:User {id: $user_id})-[r:INTERESTED_IN]->(c:Category)
WITH collect({c: c, r: r}) AS rels, max(r.updated_at.epochMillis) AS ref_ms
WITH ref_ms, [x IN rels | {c: x.c, r: x.r,
              w: x.r.weight * 2.0 ^ (-(ref_ms - x.r.updated_at.epochMillis) / $half_life_ms)}] AS rels
WITH ref_ms, rels, reduce(t = 0.0, x IN rels | t + CASE WHEN x.w > 0 THEN x.w ELSE 0.0 END) AS total
UNWIND rels AS x
RETURN x.c.id AS category, x.c.name AS name, x.r.weight AS weight,
       x.w * 2.0 ^ (-(datetime().epochMillis - ref_ms) / $half_life_ms) AS weight_now,
       CASE WHEN total > 0 AND x.w > 0 THEN x.w / total ELSE 0.0 END AS share,
       x.r.events AS events, x.r.updated_at AS updated_at
ORDER BY share DESC, x.w DESC, category
LIMIT $k
