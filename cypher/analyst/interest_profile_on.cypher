// A user's interest profile as it stood at the end of a given day (UTC), from the daily
// history: the decayed sum of every INTEREST_DAY contribution up to that day.
// $user_id: string                 the shopper
// $date: date                      'YYYY-MM-DD'
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 20                     how many categories
// Returns: category, name, weight (as of the end of $date), events, last_at.
MATCH (u:User {id: $user_id})-[d:INTEREST_DAY]->(c:Category)
WHERE d.day <= date($date)
WITH c, d, (datetime({date: date($date)}) + duration({days: 1})).epochMillis AS end_ms
WITH c, sum(d.weight * 2.0 ^ (-(end_ms - d.at.epochMillis) / $half_life_ms)) AS weight,
     sum(d.events) AS events, max(d.at) AS last_at
RETURN c.id AS category, c.name AS name, weight, events, last_at
ORDER BY weight DESC, category
LIMIT $k
