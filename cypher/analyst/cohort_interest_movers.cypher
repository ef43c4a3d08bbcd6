// Interests that rose or fell most in a cohort between two days (end of $from to end of
// $to, UTC): the mean per member, so cohorts of different sizes compare.
// $cohort: map                     {segment: category id, min_share: 0.2} and/or {users: [user ids]}
// $from: date                      'YYYY-MM-DD'
// $to: date                        'YYYY-MM-DD'
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 20                     how many categories
// Returns: category, name, before, after, change (after - before, per member), members.
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
WITH collect(u) AS members
UNWIND members AS u
MATCH (u)-[d:INTEREST_DAY]->(c:Category)
WHERE d.day <= date($to)
WITH size(members) AS n, c, d,
     (datetime({date: date($from)}) + duration({days: 1})).epochMillis AS from_ms,
     (datetime({date: date($to)}) + duration({days: 1})).epochMillis AS to_ms
WITH n, c,
     sum(CASE WHEN d.day <= date($from) THEN d.weight * 2.0 ^ (-(from_ms - d.at.epochMillis) / $half_life_ms)
              ELSE 0.0 END) / n AS before,
     sum(d.weight * 2.0 ^ (-(to_ms - d.at.epochMillis) / $half_life_ms)) / n AS after
RETURN c.id AS category, c.name AS name, before, after, after - before AS change, n AS members
ORDER BY abs(after - before) DESC, category
LIMIT $k
