// The seed's user-user behaviour association, derived live: users who acted on the same
// items as a user, with how many items they share and the combined behaviour weight.
// $user_id: string                 the shopper
// $k: int = 20                     how many users
// Returns: user_id, shared_items, strength.
MATCH (u:User {id: $user_id})-[a:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(i:Item)
      <-[b:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]-(other:User)
WHERE other <> u
RETURN other.id AS user_id, count(DISTINCT i) AS shared_items, sum(a.weight * b.weight) AS strength
ORDER BY strength DESC, user_id
LIMIT $k
