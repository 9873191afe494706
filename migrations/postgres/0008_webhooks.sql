-- Webhook endpoints. The signing secret is kept as issued: signing needs it (unlike API
-- keys, which are only compared and so stored hashed).

CREATE TABLE webhook_endpoints (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    description      TEXT,
    -- JSON array of event types; empty means every type.
    events           TEXT NOT NULL DEFAULT '[]',
    enabled          BIGINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    disabled_reason  TEXT,
    secret           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (workspace_id, created_at, id);
