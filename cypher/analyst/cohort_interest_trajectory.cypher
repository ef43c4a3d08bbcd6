// A cohort's interest trajectory: the mean member profile at the end of every $step_days-th
// day (UTC) from the cohort's first to its last active day; the cohort report stacks it.
// $cohort: map                     {segment: category id, min_share: 0.2} and/or {users: [user ids]}
// $step_days: int = 1              days between points
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// Returns: day, category, name, weight (mean per member), members.
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
// Members' contributions to one (category, day) are summed as of that day's end first.
WITH size(members) AS n, c, d.day AS day,
     sum(d.weight * 2.0 ^ (-((datetime({date: d.day}) + duration({days: 1})).epochMillis - d.at.epochMillis)
                           / $half_life_ms)) AS w
WITH n, collect({c: c, day: day, w: w}) AS parts, min(day) AS first, max(day) AS last
WHERE first IS NOT NULL  // no history yet: no rows
WITH n, parts, first, duration.inDays(first, last).days AS span
UNWIND range(0, span, $step_days) + CASE WHEN span % $step_days = 0 THEN [] ELSE [span] END AS offset
WITH n, parts, first + duration({days: offset}) AS day
UNWIND parts AS p
WITH n, day, p
WHERE p.day <= day
RETURN day, p.c.id AS category, p.c.name AS name,
       sum(p.w * 2.0 ^ (-(duration.inDays(p.day, day).days * 86400000.0) / $half_life_ms)) / n AS weight, n AS members
ORDER BY day, category
