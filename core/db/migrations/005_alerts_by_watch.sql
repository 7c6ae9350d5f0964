-- spt: no transaction
-- A watch's alerts, newest first: `/watch show` and the dashboard read a watch's
-- precision from feedback over them. Built concurrently so that a large alerts table
-- stays writable while the index is built.
CREATE INDEX CONCURRENTLY IF NOT EXISTS alerts_watch_recent ON alerts (watch_id, created_at DESC);
