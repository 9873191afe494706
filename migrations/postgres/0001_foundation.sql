-- Foundation: workspaces, API keys, contacts, channels, idempotency records, settings.
-- Portable schema: TEXT ids, BIGINT epoch-millisecond timestamps, TEXT JSON, 0/1 booleans.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX workspaces_list ON workspaces (created_at, id);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('server', 'client')),
    secret_hash   TEXT NOT NULL UNIQUE,
    secret_hint   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_list ON api_keys (workspace_id, created_at, id);

CREATE TABLE contacts (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    external_id        TEXT,
    name               TEXT,
    email              TEXT,
    phone              TEXT,
    avatar_url         TEXT,
    blocked            BIGINT NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    custom_attributes  TEXT NOT NULL DEFAULT '{}',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX contacts_email_key ON contacts (workspace_id, email);
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (workspace_id, external_id);
CREATE INDEX contacts_list ON contacts (workspace_id, created_at, id);

CREATE TABLE channels (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    name          TEXT NOT NULL,
    agent_id      TEXT,
    outbound_url  TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX channels_list ON channels (workspace_id, created_at, id);

-- Scope is a workspace id, or "admin" for admin-key requests; kept 24 hours.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    status       BIGINT,
    headers      TEXT,
    body         TEXT,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
