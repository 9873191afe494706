-- Members (the people who sign in to the inbox), their sign-in tokens, teams, and tickets.

CREATE TABLE members (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    -- Lower-cased email: unique per workspace, and how sign-in finds the member.
    email_key     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash TEXT,
    avatar_url    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX members_email ON members (workspace_id, email_key);
CREATE INDEX members_by_email ON members (email_key);
CREATE INDEX members_list ON members (workspace_id, created_at, id);

-- Sign-in sessions: only the hash of the token is kept; signing out deletes the row.
CREATE TABLE member_tokens (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    member_id     TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    secret_hash   TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX member_tokens_by_member ON member_tokens (member_id);

CREATE TABLE teams (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX teams_name ON teams (workspace_id, name_key);
CREATE INDEX teams_list ON teams (workspace_id, created_at, id);

CREATE TABLE team_members (
    team_id    TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, member_id)
);
CREATE INDEX team_members_by_member ON team_members (member_id);

-- One ticket per conversation, numbered per workspace like conversations.
CREATE TABLE tickets (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number           BIGINT NOT NULL,
    conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    subject          TEXT NOT NULL,
    status           TEXT NOT NULL,
    priority         TEXT NOT NULL,
    assignee_id      TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX tickets_number ON tickets (workspace_id, number);
CREATE UNIQUE INDEX tickets_conversation ON tickets (conversation_id);
CREATE INDEX tickets_list ON tickets (workspace_id, created_at, id);
