// Baseline for `bench ingest`: Neo4j's own bulk path doing our upserts row by row.
// $url: file:/// URL of a contract-v1 CSV in the server's import folder; $batch: rows per
// transaction; $half_life_ms: float; $weights: {event type: weight}; $rels: {event type:
// relationship type} (interestgraph.constants' TYPE_WEIGHT and REL_OF_EVENT).
// Returns nothing. The same effects as the ingest/ statements (ledger, users, items,
// categories, behaviour with decayed weights, reviews, searches, interests and their
// daily history), without validation or pre-aggregation. Must run in an implicit transaction.
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  OPTIONAL MATCH (seen:SeenEvent {id: row.event_id})
  WITH row, seen WHERE seen IS NULL
  CREATE (:SeenEvent {id: row.event_id, at: datetime()})
  WITH row, toInteger(row.ts) AS ts, $weights[row.type] AS tw
  MERGE (u:User {id: row.user_id})
  SET u.dirty_since = coalesce(u.dirty_since, datetime()), u.dirty_seq = coalesce(u.dirty_seq, 0) + 1
  WITH row, ts, tw, u
  CALL (row, ts, tw, u) {
    WITH row, ts, tw, u WHERE row.type = 'search'
    WITH row, ts, tw, u, toLower(trim(row.query)) AS text
    MERGE (q:Query {id: 'q' + left(apoc.util.sha1([text]), 20)})
      ON CREATE SET q.text = text
    MERGE (u)-[r:SEARCHED]->(q)
    WITH r, ts, tw, r.last_at.epochMillis AS old, coalesce(r.weight, 0.0) AS w0
    WITH r, ts, tw, w0, coalesce(old, ts) AS old, CASE WHEN old IS NULL OR ts > old THEN ts ELSE old END AS at
    SET r.count = coalesce(r.count, 0) + 1,
        r.first_at = CASE WHEN r.first_at IS NULL OR ts < r.first_at.epochMillis THEN datetime({epochMillis: ts}) ELSE r.first_at END,
        r.last_at = datetime({epochMillis: at}),
        r.weight = w0 * 2.0 ^ (-(at - old) / $half_life_ms) + tw * 2.0 ^ (-(at - ts) / $half_life_ms)
  }
  CALL (row, ts, tw, u) {
    WITH row, ts, tw, u WHERE row.type <> 'search'
    MERGE (i:Item {id: row.item_id})
    SET i.title = coalesce(row.item_title, i.title), i.price = coalesce(toFloat(row.item_price), i.price),
        i.dirty_since = coalesce(i.dirty_since, datetime()), i.dirty_seq = coalesce(i.dirty_seq, 0) + 1
    WITH row, ts, tw, u, i
    CALL (row, i) {
      UNWIND [name IN split(coalesce(row.item_category, ''), '|') WHERE name <> ''] AS name
      MERGE (c:Category {id: name})
        ON CREATE SET c.name = name
      MERGE (i)-[:IN_CATEGORY]->(c)
    }
    WITH row, ts, tw, u, i, $rels[row.type] AS rel,
         CASE WHEN row.type = 'review' THEN (toInteger(row.rating) - 3) / 2.0 ELSE null END AS sentiment
    MERGE (u)-[r:$(rel)]->(i)
    WITH row, ts, tw, u, i, sentiment, r, r.last_at.epochMillis AS old, coalesce(r.weight, 0.0) AS w0
    WITH row, ts, tw, u, i, sentiment, r, w0, coalesce(old, ts) AS old,
         CASE WHEN old IS NULL OR ts > old THEN ts ELSE old END AS at
    SET r.count = coalesce(r.count, 0) + 1,
        r.first_at = CASE WHEN r.first_at IS NULL OR ts < r.first_at.epochMillis THEN datetime({epochMillis: ts}) ELSE r.first_at END,
        r.last_at = datetime({epochMillis: at}),
        r.weight = w0 * 2.0 ^ (-(at - old) / $half_life_ms) + tw * 2.0 ^ (-(at - ts) / $half_life_ms)
    WITH row, ts, tw, u, i, sentiment, r
    CALL (row, ts, sentiment, r) {
      WITH row, ts, sentiment, r WHERE sentiment IS NOT NULL AND (r.at IS NULL OR ts >= r.at.epochMillis)
      SET r.rating = toInteger(row.rating), r.sentiment = sentiment, r.text = row.text, r.at = datetime({epochMillis: ts})
    }
    WITH ts, u, i, CASE WHEN sentiment IS NULL THEN tw ELSE tw * sentiment END AS iw
    MATCH (i)-[:IN_CATEGORY]->(c:Category)
    MERGE (u)-[d:INTEREST_DAY {day: date(datetime({epochMillis: ts}))}]->(c)
    WITH ts, iw, u, c, d, d.at.epochMillis AS dold, coalesce(d.weight, 0.0) AS dw0
    WITH ts, iw, u, c, d, dw0, coalesce(dold, ts) AS dold, CASE WHEN dold IS NULL OR ts > dold THEN ts ELSE dold END AS dat
    SET d.weight = dw0 * 2.0 ^ (-(dat - dold) / $half_life_ms) + iw * 2.0 ^ (-(dat - ts) / $half_life_ms),
        d.at = datetime({epochMillis: dat}), d.events = coalesce(d.events, 0) + 1
    MERGE (u)-[ii:INTERESTED_IN]->(c)
    WITH ts, iw, ii, ii.updated_at.epochMillis AS old, coalesce(ii.weight, 0.0) AS w0
    WITH ts, iw, ii, w0, coalesce(old, ts) AS old, CASE WHEN old IS NULL OR ts > old THEN ts ELSE old END AS at
    SET ii.weight = w0 * 2.0 ^ (-(at - old) / $half_life_ms) + iw * 2.0 ^ (-(at - ts) / $half_life_ms),
        ii.updated_at = datetime({epochMillis: at}), ii.events = coalesce(ii.events, 0) + 1
  }
} IN TRANSACTIONS OF $batch ROWS
