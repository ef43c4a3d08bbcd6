// Category affinity between two cohorts: the mean share of interest each cohort gives every
// category, their difference and lift (how many times more cohort A cares than cohort B).
// $cohort_a: map                   {segment: category id, min_share: 0.2} and/or {users: [user ids]}
// $cohort_b: map                   the same shape; compare a segment with another, or with {users: [...]}
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 20                     how many categories
// Returns: category, name, share_a, share_b, difference (share_a - share_b), lift, members_a, members_b.
CALL () {
  UNWIND coalesce($cohort_a.users, []) AS id
  MATCH (u:User {id: id})
  RETURN u
  UNION
  MATCH (:Category {id: $cohort_a.segment})<-[seg:INTERESTED_IN]-(u:User)
  MATCH (u)-[r:INTERESTED_IN]->()
  WITH u, seg, collect(r) AS rels, max(r.updated_at.epochMillis) AS ref_ms
  WITH u, seg.weight * 2.0 ^ (-(ref_ms - seg.updated_at.epochMillis) / $half_life_ms) AS mine,
       reduce(t = 0.0, r IN rels | t + CASE WHEN r.weight > 0
              THEN r.weight * 2.0 ^ (-(ref_ms - r.updated_at.epochMillis) / $half_life_ms) ELSE 0.0 END) AS total
  WHERE mine > 0 AND mine >= coalesce($cohort_a.min_share, 0.2) * total
  RETURN u
}
WITH collect(u) AS a
CALL () {
  UNWIND coalesce($cohort_b.users, []) AS id
  MATCH (u:User {id: id})
  RETURN u
  UNION
  MATCH (:Category {id: $cohort_b.segment})<-[seg:INTERESTED_IN]-(u:User)
  MATCH (u)-[r:INTERESTED_IN]->()
  WITH u, seg, collect(r) AS rels, max(r.updated_at.epochMillis) AS ref_ms
  WITH u, seg.weight * 2.0 ^ (-(ref_ms - seg.updated_at.epochMillis) / $half_life_ms) AS mine,
       reduce(t = 0.0, r IN rels | t + CASE WHEN r.weight > 0
              THEN r.weight * 2.0 ^ (-(ref_ms - r.updated_at.epochMillis) / $half_life_ms) ELSE 0.0 END) AS total
  WHERE mine > 0 AND mine >= coalesce($cohort_b.min_share, 0.2) * total
  RETURN u
}
WITH a, collect(u) AS b
UNWIND [{side: 'a', members: a, n: size(a)}, {side: 'b', members: b, n: size(b)}] AS cohort
UNWIND cohort.members AS u
MATCH (u)-[r:INTERESTED_IN]->(c:Category)
WITH size(a) AS na, size(b) AS nb, cohort, u, collect({c: c, r: r}) AS rels, max(r.updated_at.epochMillis) AS ref_ms
WITH na, nb, cohort, u,
     [x IN rels | {c: x.c, w: x.r.weight * 2.0 ^ (-(ref_ms - x.r.updated_at.epochMillis) / $half_life_ms)}] AS ws
WITH na, nb, cohort, ws, reduce(t = 0.0, x IN ws | t + CASE WHEN x.w > 0 THEN x.w ELSE 0.0 END) AS total
WHERE total > 0
UNWIND ws AS x
WITH na, nb, x.c AS c,
     sum(CASE WHEN cohort.side = 'a' AND x.w > 0 THEN x.w / total ELSE 0.0 END) / CASE WHEN na > 0 THEN na ELSE 1 END AS share_a,
     sum(CASE WHEN cohort.side = 'b' AND x.w > 0 THEN x.w / total ELSE 0.0 END) / CASE WHEN nb > 0 THEN nb ELSE 1 END AS share_b
RETURN c.id AS category, c.name AS name, share_a, share_b, share_a - share_b AS difference,
       CASE WHEN share_b > 0 THEN share_a / share_b END AS lift, na AS members_a, nb AS members_b
ORDER BY abs(share_a - share_b) DESC, category
LIMIT $k
