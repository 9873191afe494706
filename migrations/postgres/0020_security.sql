-- Attempts counted per bucket (sign-ins of an email from an address, of an address), in a
-- window that starts with its first hit: every node counts in the same row, so a limit holds
-- across nodes and concurrent attempts cannot slip past it.
CREATE TABLE throttles (
    bucket        TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL
);
CREATE INDEX throttles_by_start ON throttles (window_start);

-- Where and from what a member's session began, for their list of sessions.
ALTER TABLE member_tokens ADD COLUMN client_ip TEXT;
ALTER TABLE member_tokens ADD COLUMN user_agent TEXT;

-- Security-relevant changes and sign-ins: who, what, when, from where. Kept apart from the
-- conversation event log (never streamed, never sent to webhooks).
CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    action        TEXT NOT NULL,
    actor_type    TEXT NOT NULL,
    actor_id      TEXT,
    target_type   TEXT,
    target_id     TEXT,
    client_ip     TEXT,
    details       TEXT NOT NULL DEFAULT '{}',
    created_at    BIGINT NOT NULL
);
CREATE INDEX audit_log_list ON audit_log (workspace_id, created_at, id);
