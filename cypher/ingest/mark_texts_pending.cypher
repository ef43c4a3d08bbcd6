// Queue every item title, query and review text for the text pass again (after a model change).
// No parameters. Returns: marked (how many nodes and relationships were marked).
CALL () {
  MATCH (i:Item) WHERE i.title IS NOT NULL SET i.text_pending = true RETURN count(*) AS n
  UNION ALL
  MATCH (q:Query) WHERE q.text IS NOT NULL SET q.text_pending = true RETURN count(*) AS n
  UNION ALL
  MATCH ()-[r:REVIEWED]->() WHERE r.text IS NOT NULL SET r.text_pending = true RETURN count(*) AS n
}
RETURN sum(n) AS marked
