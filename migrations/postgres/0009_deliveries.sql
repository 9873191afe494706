-- Outbound deliveries: each event a webhook endpoint subscribes to, and each reply on a
-- channel with an outbound_url, becomes a delivery row in the transaction that writes the
-- event, so a crash can neither lose nor invent one.

-- The start of an endpoint's current run of failures (NULL while it succeeds).
ALTER TABLE webhook_endpoints ADD COLUMN failing_since BIGINT;

-- Channels sign what they send to their outbound_url, as webhooks do.
ALTER TABLE channels ADD COLUMN outbound_secret TEXT;
UPDATE channels SET outbound_secret = 'whsec_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');

CREATE TABLE deliveries (
    -- Order of creation: within a conversation, the order its events were written.
    rid BIGSERIAL PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    target_type      TEXT NOT NULL CHECK (target_type IN ('webhook', 'channel')),
    -- The webhook endpoint (wh_) or channel (ch_).
    target_id        TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    conversation_id  TEXT,
    -- Channel deliveries: the reply being delivered.
    message_id       TEXT,
    -- Test pings only; every other payload is the event, read from the log when sent.
    payload          TEXT,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempt_count    BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    -- While set and in the future, a node is sending it; if that node dies it expires.
    lease_until      BIGINT,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_in_order ON deliveries (target_id, conversation_id, rid) WHERE status = 'pending';
CREATE INDEX deliveries_list ON deliveries (target_id, created_at, id);
CREATE INDEX deliveries_by_conversation ON deliveries (conversation_id);

CREATE TABLE delivery_attempts (
    delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number           BIGINT NOT NULL,
    attempted_at     BIGINT NOT NULL,
    -- NULL when no response came (refused, timed out, …): see error.
    status_code      BIGINT,
    latency_ms       BIGINT NOT NULL,
    error            TEXT,
    -- The first KiB of the response body.
    response_body    TEXT,
    PRIMARY KEY (delivery_id, number)
);
