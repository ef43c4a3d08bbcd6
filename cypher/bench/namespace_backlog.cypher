// Dirty users and items of one namespace (the refresh backlog), and its users whose indexed
// vector is behind their fresh one.
// $prefix: string
// Returns: users, items, dirty (users + items), index_due (int each), oldest_item_ms (when the longest-waiting
// dirty item became dirty, epoch ms; null when none waits).
CALL () { MATCH (n:User) WHERE n.dirty_since IS NOT NULL AND n.id STARTS WITH $prefix RETURN count(n) AS users }
CALL () { MATCH (n:Item) WHERE n.dirty_since IS NOT NULL AND n.id STARTS WITH $prefix
          RETURN count(n) AS items, min(n.dirty_since).epochMillis AS oldest_item_ms }
CALL () { MATCH (n:User) WHERE n.index_due_ms IS NOT NULL AND n.id STARTS WITH $prefix RETURN count(n) AS index_due }
RETURN users, items, users + items AS dirty, index_due, oldest_item_ms
