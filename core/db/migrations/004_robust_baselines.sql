-- Robust baselines (issue 12): what a refresh left out of a baseline, and why, so that
-- `/baseline show` can say it. For-parts listings, prices far under the rest (a fault
-- that slipped through, a misread lot) and absurd asking prices no longer drag the
-- percentiles.
ALTER TABLE baselines
    ADD COLUMN left_out_for_parts integer NOT NULL DEFAULT 0 CHECK (left_out_for_parts >= 0),
    ADD COLUMN left_out_low       integer NOT NULL DEFAULT 0 CHECK (left_out_low >= 0),
    ADD COLUMN left_out_lots      integer NOT NULL DEFAULT 0 CHECK (left_out_lots >= 0),
    ADD COLUMN left_out_high      integer NOT NULL DEFAULT 0 CHECK (left_out_high >= 0);
