-- Which spt processes are running the pipeline on this database (issue 15): each one
-- writes its row when it starts and every few seconds after, and deletes it on a clean
-- stop; a crashed process's row ages out. `spt status` and `/status` say "ingestion: not
-- running" when no row is fresh, instead of "running" because nothing is paused.
CREATE TABLE processes (
    process_id text PRIMARY KEY CHECK (char_length(process_id) BETWEEN 1 AND 300),
    -- What this process does: ingest (it has eBay credentials), discord (a bot is connected).
    roles      text[] NOT NULL DEFAULT '{}',
    started_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL
);
