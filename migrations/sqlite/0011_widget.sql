-- The visitor widget: contact tokens, identity verification, ratings.

-- Sessions of visitors: only the hash of the token is kept.
CREATE TABLE contact_tokens (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id    TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    secret_hash   TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX contact_tokens_by_contact ON contact_tokens (contact_id);

-- Identity verification: set, a widget session naming an `external_id` must carry its
-- HMAC-SHA256 under this secret (`user_hash`). Kept as issued: checking needs it.
ALTER TABLE workspaces ADD COLUMN identity_secret TEXT;

ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
