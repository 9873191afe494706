-- Message search keyed by conversation. Each message's index row is
-- `conversation rid × 2^24 + seq`, so all of one conversation's messages are one rowid range:
-- "does this conversation mention X?" is a single range probe into the index (it was one
-- probe per message), and the set of conversations mentioning X comes from the index alone,
-- without reading the messages. The index keeps no copy of the text (contentless).
DROP TRIGGER message_fts_insert;
DROP TRIGGER message_fts_delete;
DROP TRIGGER message_fts_update;
DROP TABLE message_fts;

CREATE VIRTUAL TABLE message_search USING fts5 (content, content = '', contentless_delete = 1);

-- In key order, so the index is written in long ascending runs.
INSERT INTO message_search (rowid, content)
SELECT c.rid * 16777216 + m.seq, m.content
FROM conversations c JOIN messages m ON m.conversation_id = c.id
ORDER BY c.rid, m.seq;

CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (rowid, content)
    SELECT c.rid * 16777216 + new.seq, new.content FROM conversations c WHERE c.id = new.conversation_id;
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_search
    WHERE rowid = (SELECT c.rid * 16777216 + old.seq FROM conversations c WHERE c.id = old.conversation_id);
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    DELETE FROM message_search
    WHERE rowid = (SELECT c.rid * 16777216 + old.seq FROM conversations c WHERE c.id = old.conversation_id);
    INSERT INTO message_search (rowid, content)
    SELECT c.rid * 16777216 + new.seq, new.content FROM conversations c WHERE c.id = new.conversation_id;
END;
-- A conversation's messages leave the index while the conversation can still name their
-- keys (a cascade would delete them after it, too late to find them).
CREATE TRIGGER conversation_messages_delete BEFORE DELETE ON conversations BEGIN
    DELETE FROM messages WHERE conversation_id = old.id;
END;
