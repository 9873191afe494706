-- AI agents and their immutable versions. A conversation pins the version that answers it.

CREATE TABLE agents (
    id                      TEXT PRIMARY KEY,
    workspace_id            TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                    TEXT NOT NULL,
    picture_url             TEXT,
    description             TEXT,
    current_version_id      TEXT NOT NULL,
    current_version_number  BIGINT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    version                 BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX agents_list ON agents (workspace_id, created_at, id);

-- A version's settings (instructions, provider, handoff rules, …) as one JSON document:
-- written once, never changed.
CREATE TABLE agent_versions (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id      TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    number        BIGINT NOT NULL,
    settings      TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX agent_versions_number ON agent_versions (agent_id, number);
