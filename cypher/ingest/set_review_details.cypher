// Keep the latest review's rating, sentiment and text on REVIEWED (merged before this runs).
// $rows: [{user, item, rating, sentiment, text, at_ms}]
// Returns nothing. An older review arriving late does not overwrite a newer one.
UNWIND $rows AS row
MATCH (:User {id: row.user})-[r:REVIEWED]->(:Item {id: row.item})
WITH r, row
WHERE r.at IS NULL OR row.at_ms >= r.at.epochMillis
SET r.rating = row.rating,
    r.sentiment = row.sentiment,
    r.text = row.text,
    r.at = datetime({epochMillis: row.at_ms})
