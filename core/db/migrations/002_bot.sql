-- The interactive bot: a watch can be muted for a while, a channel that cannot take
-- alerts is flagged on its watches, and feedback on an alert records who gave it.

ALTER TABLE watches
    -- No alerts are created for the watch until then (the "Mute watch 24h" button).
    ADD COLUMN muted_until       timestamptz,
    -- Why the watch's channel refused its last alert (missing, no permission); cleared
    -- by the next delivery that works or by a change of channel.
    ADD COLUMN delivery_error    text,
    ADD COLUMN delivery_error_at timestamptz,
    ADD CHECK ((delivery_error IS NULL) = (delivery_error_at IS NULL));

ALTER TABLE alerts
    ADD COLUMN feedback_by bigint,
    ADD COLUMN feedback_at timestamptz;

-- The Discord message an alert went out in (digests share one), for buttons on digests.
CREATE INDEX outbox_message ON outbox (message_id) WHERE message_id IS NOT NULL;

-- `/listing show <eBay URL>` finds a listing by the item number in the URL.
CREATE INDEX listings_legacy_item ON listings (legacy_item_id) WHERE legacy_item_id IS NOT NULL;

-- Best deals first, mature baselines before immature ones (`/listings top`): overall,
-- within one component type (a product key's first part) and within one product key.
CREATE INDEX scores_rank_warm ON scores (cold_start, score DESC, listing_id DESC) WHERE is_current;
CREATE INDEX scores_type_rank ON scores (split_part(product_key, ':', 1), cold_start, score DESC)
    WHERE is_current;
CREATE INDEX scores_key_rank ON scores (product_key, cold_start, score DESC) WHERE is_current;

-- A dismissed or muted alert's message is cancelled instead of sent, and that is recorded
-- as an attempt; 001 did not allow the outcome, so such a message failed its sender.
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_outcome_check;
ALTER TABLE delivery_attempts ADD CONSTRAINT delivery_attempts_outcome_check
    CHECK (outcome IN ('delivered', 'partial', 'retryable', 'rate_limited', 'failed', 'cancelled'));
