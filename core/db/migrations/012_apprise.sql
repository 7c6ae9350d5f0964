-- Alerts through Apprise (issue 15): ntfy, Gotify, email and the other services Apprise
-- speaks, configured as alerts.apprise_urls.
ALTER TABLE outbox DROP CONSTRAINT outbox_destination_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_destination_kind_check
    CHECK (destination_kind IN ('discord_channel', 'webhook', 'console', 'apprise'));
-- The Apprise targets that accepted the message, each as a fingerprint of its URL (the
-- first 16 hex digits of its SHA-256; never the URL, which holds the target's token or
-- password): a retry after one target failed goes only to the targets without it.
ALTER TABLE outbox ADD COLUMN accepted_targets text[] NOT NULL DEFAULT '{}';
