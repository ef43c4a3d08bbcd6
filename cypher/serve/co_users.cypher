// The co-behaviour walk's first step: for each of a user's items, up to $per_item other users who
// touched it (a sample of a popular item's buyers: the walk never costs an item's whole degree).
// $user_id: string, $items: [string], $per_item: int, $prefix: string ("": every user; else ids starting with it)
// Returns: id (the item), users ([id]).
MATCH (u:User {id: $user_id})
UNWIND $items AS id
MATCH (j:Item {id: id})
CALL (u, j) {
  MATCH (j)<-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]-(v:User)
  WHERE v <> u AND ($prefix = '' OR v.id STARTS WITH $prefix)
  WITH DISTINCT v
  LIMIT $per_item
  RETURN collect(v.id) AS users
}
RETURN id, users
