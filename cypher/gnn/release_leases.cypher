// Give back leases after a failed refresh so another worker can retry at once.
// $owner: string, $users: [string], $items: [string]
// Returns nothing.
CALL () {
  UNWIND $users AS id
  MATCH (n:User {id: id})
  RETURN n
  UNION
  UNWIND $items AS id
  MATCH (n:Item {id: id})
  RETURN n
}
WITH n WHERE n.lease_owner = $owner
SET n.lease_until = null, n.lease_owner = null
