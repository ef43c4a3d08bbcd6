// Shoppers with behaviour but no interest yet: they only searched, or acted only on items
// whose category is unknown. Their recommendations lean on the vector alone.
// $prefix: string = ""             only ids starting with this (a namespace); "" for all
// $k: int = 20                     how many users
// Returns: user_id, behaviours, searches, uncategorised_items, last_at.
MATCH (u:User)
WHERE u.id STARTS WITH $prefix AND NOT (u)-[:INTERESTED_IN]->()
CALL (u) {
  OPTIONAL MATCH (u)-[b]->(t)
  RETURN count(CASE WHEN t:Item THEN b END) AS behaviours, count(CASE WHEN t:Query THEN b END) AS searches,
         count(DISTINCT CASE WHEN t:Item AND NOT (t)-[:IN_CATEGORY]->() THEN t END) AS uncategorised_items,
         max(b.last_at) AS last_at
}
RETURN u.id AS user_id, behaviours, searches, uncategorised_items, last_at
ORDER BY last_at DESC, user_id
LIMIT $k
