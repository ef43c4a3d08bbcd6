// Interests that rose or fell most between two days (end of $from to end of $to, UTC),
// for one user or, with $user_id null, summed over everyone.
// $user_id: string|null = null     the shopper; null for everyone
// $from: date                      'YYYY-MM-DD'
// $to: date                        'YYYY-MM-DD'
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 20                     how many categories
// Returns: category, name, before, after, change (after - before), sorted by |change|.
MATCH (u:User)-[d:INTEREST_DAY]->(c:Category)
WHERE ($user_id IS NULL OR u.id = $user_id) AND d.day <= date($to)
WITH c, d,
     (datetime({date: date($from)}) + duration({days: 1})).epochMillis AS from_ms,
     (datetime({date: date($to)}) + duration({days: 1})).epochMillis AS to_ms
WITH c,
     sum(CASE WHEN d.day <= date($from) THEN d.weight * 2.0 ^ (-(from_ms - d.at.epochMillis) / $half_life_ms)
              ELSE 0.0 END) AS before,
     sum(d.weight * 2.0 ^ (-(to_ms - d.at.epochMillis) / $half_life_ms)) AS after
RETURN c.id AS category, c.name AS name, before, after, after - before AS change
ORDER BY abs(after - before) DESC, category
LIMIT $k
