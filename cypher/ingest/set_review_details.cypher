// Keep the latest review's rating, sentiment and text on REVIEWED (merged before this runs).
// $rows: [{user, item, rating, sentiment, text, at_ms}] (sentiment: from the rating, in [-1, 1])
// Returns nothing. An older review arriving late does not overwrite a newer one. A text is
// marked text_pending: the text pass scores it and blends the score into r.sentiment.
UNWIND $rows AS row
MATCH (:User {id: row.user})-[r:REVIEWED]->(:Item {id: row.item})
WITH r, row
WHERE r.at IS NULL OR row.at_ms >= r.at.epochMillis
SET r.rating = row.rating,
    r.sentiment = row.sentiment,
    r.rating_sentiment = row.sentiment,
    r.text = row.text,
    r.text_pending = CASE WHEN row.text IS NULL THEN null ELSE true END,
    r.text_sentiment = null,
    r.text_embedding = null,
    r.sentiment_model = null,
    r.at = datetime({epochMillis: row.at_ms})
