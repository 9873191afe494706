-- One-time links that create a workspace's first admin member (the first start prints one).
-- Only the secret's hash is kept; using the link deletes it.

CREATE TABLE setup_links (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    secret_hash  TEXT NOT NULL UNIQUE,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
