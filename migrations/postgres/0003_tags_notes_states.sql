-- The tag palette, conversation tags, internal notes, and custom conversation states.

CREATE TABLE tags (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    color        TEXT NOT NULL,
    description  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX tags_name ON tags (workspace_id, name_key);
CREATE INDEX tags_list ON tags (workspace_id, created_at, id);

CREATE TABLE conversation_tags (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag_id          TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_by_tag ON conversation_tags (tag_id, conversation_id);

-- Tag names as shown on the conversation (kept in step with conversation_tags).
ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

CREATE TABLE notes (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       TEXT,
    body            TEXT NOT NULL,
    pinned          BIGINT NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX notes_by_conversation ON notes (conversation_id, created_at, id);

CREATE TABLE conversation_states (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    description  TEXT,
    color        TEXT NOT NULL,
    persistent   BIGINT NOT NULL DEFAULT 0 CHECK (persistent IN (0, 1)),
    position     BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX conversation_states_name ON conversation_states (workspace_id, name_key);
CREATE INDEX conversation_states_list ON conversation_states (workspace_id, position, id);
