// A user's interest trajectory: the profile at the end of every $step_days-th day (UTC) from
// their first to their last active day, one row per (day, category); the report stacks it.
// $user_id: string                 the shopper
// $step_days: int = 1              days between points
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// Returns: day, category, name, weight.
MATCH (:User {id: $user_id})-[d:INTEREST_DAY]->(c:Category)
WITH collect({c: c, day: d.day, w: d.weight, at: d.at.epochMillis}) AS parts, min(d.day) AS first, max(d.day) AS last
WHERE first IS NOT NULL  // no history yet: no rows
WITH parts, first, duration.inDays(first, last).days AS span
UNWIND range(0, span, $step_days) + CASE WHEN span % $step_days = 0 THEN [] ELSE [span] END AS offset
WITH parts, first + duration({days: offset}) AS day
WITH parts, day, (datetime({date: day}) + duration({days: 1})).epochMillis AS end_ms
UNWIND parts AS p
WITH day, end_ms, p
WHERE p.day <= day
RETURN day, p.c.id AS category, p.c.name AS name, sum(p.w * 2.0 ^ (-(end_ms - p.at) / $half_life_ms)) AS weight
ORDER BY day, category
