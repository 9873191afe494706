-- Uploaded files, kept in the database so every node serves them. A file belongs to the
-- contact who uploaded it and, once attached, to its message and conversation: erasing any
-- of them erases the file.

CREATE TABLE files (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id       TEXT REFERENCES contacts (id) ON DELETE CASCADE,
    conversation_id  TEXT REFERENCES conversations (id) ON DELETE CASCADE,
    message_id       TEXT REFERENCES messages (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    mime_type        TEXT NOT NULL,
    size             BIGINT NOT NULL,
    sha256           TEXT NOT NULL,
    content          BYTEA NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX files_by_contact ON files (contact_id);
CREATE INDEX files_by_conversation ON files (conversation_id);
CREATE INDEX files_by_message ON files (message_id);
CREATE INDEX files_unattached ON files (created_at) WHERE message_id IS NULL;

-- Values the server's nodes share: the key that signs file URLs (made on first use) and the
-- public client key the /demo page carries.
CREATE TABLE server_secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- The origins (`https://shop.example.com`) whose pages may carry a channel's widget; empty
-- means any. A client key may name the channel it speaks for.
ALTER TABLE channels ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN channel_id TEXT REFERENCES channels (id) ON DELETE SET NULL;
-- A visitor's session remembers the channel its key spoke for: their conversations start there.
ALTER TABLE contact_tokens ADD COLUMN channel_id TEXT REFERENCES channels (id) ON DELETE SET NULL;
