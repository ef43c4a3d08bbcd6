// Store text sentiment and the review vector; r.sentiment becomes the blend of rating and text.
// Lock first, then read, so the returned old sentiment is the one interests were moved by.
// A review whose text changed meanwhile is skipped (the next pass scores the new one).
// $rows: [{user, item, text, p (P(positive), or null for a language the model cannot read),
// share (the text's weight in the blend, 0 when p is null), vec: [float]}], $model: string
// Returns: user, item, old, new (sentiments in [-1, 1]), at_ms (the review's time).
UNWIND $rows AS row
MATCH (:User {id: row.user})-[r:REVIEWED]->(:Item {id: row.item})
SET r.text_lock = true
REMOVE r.text_lock
WITH r, row
WHERE r.text_pending = true AND r.text = row.text
WITH r, row, r.sentiment AS old,
     (1.0 - row.share) * coalesce(r.rating_sentiment, r.sentiment) + row.share * (2.0 * coalesce(row.p, 0.5) - 1.0) AS new
SET r.rating_sentiment = coalesce(r.rating_sentiment, old),
    r.text_sentiment = row.p,
    r.sentiment = new,
    r.text_embedding = row.vec,
    r.sentiment_model = $model
REMOVE r.text_pending
RETURN row.user AS user, row.item AS item, old, new, r.at.epochMillis AS at_ms
