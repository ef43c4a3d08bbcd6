// Browser view of a user's interests with line thickness by weight. GraSS styles by type
// only, so each INTERESTED_IN is returned as a virtual relationship typed by its band of the
// user's strongest interest (INTEREST_1 weakest .. INTEREST_5 strongest), weights decayed to
// the user's latest update; the style file gives each band its width. Nothing is written.
// $user_id: string                 the shopper
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 12                     how many categories
// Returns: user, interest (a virtual INTEREST_<band> relationship with weight), category.
MATCH (u:User {id: $user_id})-[r:INTERESTED_IN]->(c:Category)
WITH u, collect({r: r, c: c}) AS rels, max(r.updated_at.epochMillis) AS ref_ms
UNWIND rels AS x
WITH u, x.c AS c, x.r.weight * 2.0 ^ (-(ref_ms - x.r.updated_at.epochMillis) / $half_life_ms) AS w
WHERE w > 0
WITH u, c, w ORDER BY w DESC LIMIT $k
WITH u, collect({c: c, w: w}) AS rels, max(w) AS top
UNWIND rels AS x
RETURN u AS user,
       apoc.create.vRelationship(u, 'INTEREST_' + toString(toInteger(ceil(5.0 * x.w / top))), {weight: x.w}, x.c)
         AS interest,
       x.c AS category
