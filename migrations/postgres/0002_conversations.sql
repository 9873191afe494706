-- Conversations, their messages, and the append-only event log.

-- Per-workspace counters (conversation numbers): incremented inside the writing
-- transaction, so numbers have no gaps and no duplicates.
CREATE TABLE workspace_counters (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    value         BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE conversations (
    id                        TEXT PRIMARY KEY,
    workspace_id              TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number                    BIGINT NOT NULL,
    title                     TEXT,
    status                    TEXT NOT NULL,
    mode                      TEXT NOT NULL,
    priority                  TEXT NOT NULL,
    priority_rank             BIGINT NOT NULL,
    channel_id                TEXT REFERENCES channels (id) ON DELETE SET NULL,
    contact_id                TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    agent_id                  TEXT,
    agent_version_id          TEXT,
    assignee_id               TEXT,
    team_id                   TEXT,
    state_id                  TEXT,
    summary                   TEXT,
    context                   TEXT,
    sentiment_score           BIGINT,
    rating                    BIGINT,
    custom_data               TEXT NOT NULL DEFAULT '{}',
    handoff_requested_at      BIGINT,
    handoff_requested_by      TEXT,
    handoff_reason            TEXT,
    handoff_started_at        BIGINT,
    handoff_member_id         TEXT,
    last_message_id           TEXT,
    last_message_preview      TEXT,
    last_message_sender_type  TEXT,
    last_message_at           BIGINT NOT NULL,
    prev_message_id           TEXT,
    prev_message_preview      TEXT,
    prev_message_sender_type  TEXT,
    prev_message_at           BIGINT,
    message_count             BIGINT NOT NULL DEFAULT 0,
    unread_count              BIGINT NOT NULL DEFAULT 0,
    first_response_at         BIGINT,
    human_started_at          BIGINT,
    snoozed_until             BIGINT,
    resolved_at               BIGINT,
    closed_at                 BIGINT,
    removed                   BIGINT NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    version                   BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX conversations_number ON conversations (workspace_id, number);
CREATE INDEX conversations_by_last_message ON conversations (workspace_id, removed, last_message_at, id);
CREATE INDEX conversations_by_created ON conversations (workspace_id, removed, created_at, id);
CREATE INDEX conversations_by_updated ON conversations (workspace_id, removed, updated_at, id);
CREATE INDEX conversations_by_priority ON conversations (workspace_id, removed, priority_rank, id);
CREATE INDEX conversations_by_status ON conversations (workspace_id, status, last_message_at, id);
CREATE INDEX conversations_by_contact ON conversations (contact_id, last_message_at);
CREATE INDEX conversations_by_channel ON conversations (channel_id, last_message_at);
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL,
    conversation_id    TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq                BIGINT NOT NULL,
    sender_type        TEXT NOT NULL,
    sender_id          TEXT,
    type               TEXT NOT NULL,
    content            TEXT NOT NULL,
    attachments        TEXT NOT NULL DEFAULT '[]',
    status             TEXT NOT NULL,
    failure_reason     TEXT,
    client_message_id  TEXT,
    in_reply_to        TEXT,
    source             TEXT,
    metadata           TEXT NOT NULL DEFAULT '{}',
    feedback_rating    TEXT,
    feedback_comment   TEXT,
    deleted            BIGINT NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_seq ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, client_message_id);

-- The spine: audit trail, stream source, webhook outbox and conversation timeline.
-- `position` orders events as they were written.
CREATE TABLE events (
    position         BIGSERIAL PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type             TEXT NOT NULL,
    conversation_id  TEXT,
    -- The contact whose data the event carries, so erasing a contact can erase it.
    contact_id       TEXT,
    actor_type       TEXT NOT NULL,
    actor_id         TEXT,
    data             TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX events_by_workspace ON events (workspace_id, position);
CREATE INDEX events_by_conversation ON events (conversation_id, position);
CREATE INDEX events_by_contact ON events (contact_id);
