-- Canned responses: saved replies the inbox inserts from the composer ("/" and a shortcode).

CREATE TABLE canned_responses (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    shortcode    TEXT NOT NULL,
    title        TEXT,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX canned_responses_shortcode ON canned_responses (workspace_id, shortcode);
CREATE INDEX canned_responses_list ON canned_responses (workspace_id, created_at, id);
