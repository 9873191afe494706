-- SQLite's message index is re-keyed by conversation in this version. PostgreSQL already
-- finds a conversation's matching messages through its own (conversation_id) index and the
-- per-message tsvector, so nothing changes here.
SELECT 1;
