// The members of a cohort, to check a segment before comparing it. A cohort is the shoppers
// for whom one category holds at least min_share of their positive interest (a segment such
// as "sports-first shoppers"), plus any users named explicitly.
// $cohort: map                     {segment: category id, min_share: 0.2} and/or {users: [user ids]}
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 100                    how many members
// Returns: user_id, segment_share, top_category, top_share, categories.
CALL () {
  UNWIND coalesce($cohort.users, []) AS id
  MATCH (u:User {id: id})
  RETURN u
  UNION
  MATCH (:Category {id: $cohort.segment})<-[seg:INTERESTED_IN]-(u:User)
  MATCH (u)-[r:INTERESTED_IN]->()
  WITH u, seg, collect(r) AS rels, max(r.updated_at.epochMillis) AS ref_ms
  WITH u, seg.weight * 2.0 ^ (-(ref_ms - seg.updated_at.epochMillis) / $half_life_ms) AS mine,
       reduce(t = 0.0, r IN rels | t + CASE WHEN r.weight > 0
              THEN r.weight * 2.0 ^ (-(ref_ms - r.updated_at.epochMillis) / $half_life_ms) ELSE 0.0 END) AS total
  WHERE mine > 0 AND mine >= coalesce($cohort.min_share, 0.2) * total
  RETURN u
}
OPTIONAL MATCH (u)-[r:INTERESTED_IN]->(c:Category)
WITH u, collect({id: c.id, r: r}) AS rels, max(r.updated_at.epochMillis) AS ref_ms
WITH u, [x IN rels | {id: x.id, w: x.r.weight * 2.0 ^ (-(ref_ms - x.r.updated_at.epochMillis) / $half_life_ms)}] AS ws
WITH u, ws, reduce(t = 0.0, x IN ws | t + CASE WHEN x.w > 0 THEN x.w ELSE 0.0 END) AS total
WITH u, [x IN ws | {id: x.id, share: CASE WHEN total > 0 AND x.w > 0 THEN x.w / total ELSE 0.0 END}] AS shares
WITH u, shares, reduce(best = null, x IN shares | CASE WHEN best IS NULL OR x.share > best.share THEN x ELSE best END) AS top
RETURN u.id AS user_id,
       coalesce(head([x IN shares WHERE x.id = $cohort.segment | x.share]), 0.0) AS segment_share,
       top.id AS top_category, top.share AS top_share, size(shares) AS categories
ORDER BY segment_share DESC, user_id
LIMIT $k
