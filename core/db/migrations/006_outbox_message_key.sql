-- What a Discord message is once its first send began: the key of the message that
-- carries it (the members of a digest share one) and when that send began. A resend
-- after a crash looks for that message in the channel instead of posting it again,
-- since Discord remembers a nonce only for a few minutes.
ALTER TABLE outbox ADD COLUMN message_key text, ADD COLUMN first_sent_at timestamptz;
CREATE INDEX outbox_message_key ON outbox (message_key) WHERE message_key IS NOT NULL;
