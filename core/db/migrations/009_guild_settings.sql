-- Per-server settings (issue 14): each guild's managers set quiet hours in the guild's
-- time zone and a daily alert cap per channel with `/config`, besides the manager roles and
-- default alert channel 001 already had room for. The time zone is an IANA name, checked
-- in Python (zoneinfo) before it is stored; NULL means UTC. Quiet hours are both times or
-- neither; equal times would be an empty or a whole-day range, so they are refused.
ALTER TABLE guild_settings
    ADD COLUMN quiet_start time(0),
    ADD COLUMN quiet_end   time(0),
    ADD COLUMN timezone    text CHECK (char_length(timezone) BETWEEN 1 AND 64),
    -- At most this many alerts a calendar day (in the guild's time zone) per channel.
    ADD COLUMN daily_cap   integer CHECK (daily_cap BETWEEN 1 AND 1000),
    ADD CONSTRAINT guild_settings_quiet_hours_check
        CHECK ((quiet_start IS NULL AND quiet_end IS NULL)
               OR (quiet_start IS NOT NULL AND quiet_end IS NOT NULL AND quiet_start <> quiet_end));

-- An alert over its channel's daily cap is kept, never posted: status 'capped', and why.
ALTER TABLE alerts ADD COLUMN suppressed_reason text;
ALTER TABLE alerts DROP CONSTRAINT alerts_status_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_status_check
    CHECK (status IN ('pending', 'queued', 'delivered', 'failed', 'dismissed', 'muted', 'capped'));
ALTER TABLE alerts ADD CONSTRAINT alerts_capped_reason_check
    CHECK (status <> 'capped' OR suppressed_reason IS NOT NULL);

-- 001 made room for a run log and named leases; nothing ever wrote or read them (the
-- scheduler leases watches on their own rows, the loops report through metrics).
DROP TABLE job_runs;
DROP TABLE leases;
