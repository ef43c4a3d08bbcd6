// Data-quality checks, one row each (0 failing: passed): how many nodes fail and a few examples. Orphans
// come from behaviour on items whose catalogue metadata never arrived, from search-only
// shoppers, and from hand edits.
// $prefix: string = ""             only ids starting with this (a namespace); "" for all (query ids carry none)
// $examples: int = 5               how many example ids per check
// Returns: check, failing, examples.
CALL () {
  MATCH (i:Item) WHERE i.id STARTS WITH $prefix AND NOT (i)-[:IN_CATEGORY]->()
  WITH count(i) AS failing, collect(i.id)[..$examples] AS examples
  RETURN 'item_without_category' AS check, failing, examples
  UNION ALL
  MATCH (i:Item) WHERE i.id STARTS WITH $prefix AND NOT (i)<-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]-()
  WITH count(i) AS failing, collect(i.id)[..$examples] AS examples
  RETURN 'item_without_behaviour' AS check, failing, examples
  UNION ALL
  MATCH (c:Category) WHERE c.id STARTS WITH $prefix AND NOT (c)<-[:IN_CATEGORY]-()
  WITH count(c) AS failing, collect(c.id)[..$examples] AS examples
  RETURN 'category_without_items' AS check, failing, examples
  UNION ALL
  MATCH (u:User) WHERE u.id STARTS WITH $prefix AND NOT (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED|SEARCHED]->()
  WITH count(u) AS failing, collect(u.id)[..$examples] AS examples
  RETURN 'user_without_behaviour' AS check, failing, examples
  UNION ALL
  MATCH (u:User) WHERE u.id STARTS WITH $prefix AND NOT (u)-[:INTERESTED_IN]->()
  WITH count(u) AS failing, collect(u.id)[..$examples] AS examples
  RETURN 'user_without_interests' AS check, failing, examples
  UNION ALL
  MATCH (u:User) WHERE u.id STARTS WITH $prefix AND (u)-[:INTERESTED_IN]->()
    AND NOT EXISTS { (u)-[r:INTERESTED_IN]->() WHERE r.weight > 0 }
  WITH count(u) AS failing, collect(u.id)[..$examples] AS examples
  RETURN 'user_with_only_negative_interest' AS check, failing, examples
  UNION ALL
  MATCH (q:Query) WHERE $prefix = '' AND NOT (q)<-[:SEARCHED]-()
  WITH count(q) AS failing, collect(q.text)[..$examples] AS examples
  RETURN 'query_without_searches' AS check, failing, examples
}
RETURN check, failing, examples
ORDER BY failing DESC, check
