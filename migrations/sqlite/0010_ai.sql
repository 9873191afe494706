-- The AI's knowledge and its answers.

-- Help-centre articles; `agent_id` null means every agent of the workspace may use it.
CREATE TABLE knowledge_articles (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id      TEXT REFERENCES agents (id) ON DELETE SET NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    url           TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX knowledge_articles_list ON knowledge_articles (workspace_id, created_at, id);

-- Articles cut into passages, the unit retrieval returns. Rewritten when the article is, so
-- `embedding` (the sentence vector, little-endian f32s, filled in the background when the
-- embedding model is installed) is computed again only for text that changed.
CREATE TABLE knowledge_passages (
    rid           INTEGER PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    article_id    TEXT NOT NULL REFERENCES knowledge_articles (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    title         TEXT NOT NULL,
    text          TEXT NOT NULL,
    embedding     BLOB
);
CREATE INDEX knowledge_passages_article ON knowledge_passages (article_id, position);
CREATE INDEX knowledge_passages_unembedded ON knowledge_passages (rid) WHERE embedding IS NULL;

-- Stemmed (porter) so "refunds" finds "refund"; the ranking re-reads the text itself.
CREATE VIRTUAL TABLE knowledge_fts USING fts5 (
    title, text, content = 'knowledge_passages', content_rowid = 'rid', tokenize = 'porter unicode61'
);
CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_passages BEGIN
    INSERT INTO knowledge_fts (rowid, title, text) VALUES (new.rid, new.title, new.text);
END;
CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_passages BEGIN
    INSERT INTO knowledge_fts (knowledge_fts, rowid, title, text) VALUES ('delete', old.rid, old.title, old.text);
END;

-- AI jobs: an `answer` per contact message posted while the AI answers (a later message of
-- the same conversation covers the earlier ones still queued, `covered_by`: a burst gets one
-- answer), and a `summary` when a conversation the AI answers is resolved (`message_id`: its
-- last message then, so resolving again without news asks for none).
CREATE TABLE ai_responses (
    rid               INTEGER PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL DEFAULT 'answer' CHECK (kind IN ('answer', 'summary')),
    message_id        TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'skipped')),
    covered_by        TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    run_after         INTEGER NOT NULL,
    lease_until       INTEGER,
    reply_message_id  TEXT,
    handed_off        INTEGER NOT NULL DEFAULT 0 CHECK (handed_off IN (0, 1)),
    error             TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX ai_responses_due ON ai_responses (run_after) WHERE status IN ('queued', 'running');
CREATE INDEX ai_responses_conversation ON ai_responses (conversation_id, rid);
CREATE UNIQUE INDEX ai_responses_message ON ai_responses (message_id, kind);
