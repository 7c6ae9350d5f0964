-- The web dashboard's listing pages: newest first, and by unit price, at 100k+ listings.
CREATE INDEX listings_first_seen ON listings (first_seen_at DESC, id DESC);
CREATE INDEX scores_unit_price ON scores (unit_price, listing_id) WHERE is_current;
CREATE INDEX scores_score_rank ON scores (score DESC, listing_id DESC) WHERE is_current;
-- Alert history per scope and status (the dashboard filters on both).
CREATE INDEX alerts_guild_status ON alerts (COALESCE(guild_id, 0), status, created_at DESC);
