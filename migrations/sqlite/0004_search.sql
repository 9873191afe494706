-- Full-text search (FTS5) over message content, conversation title and summary, and contact
-- name, email and phone. External-content tables kept in step by triggers.

CREATE VIRTUAL TABLE message_fts USING fts5 (content, content = 'messages', content_rowid = 'rid');
CREATE TRIGGER message_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_fts (rowid, content) VALUES (new.rid, new.content);
END;
CREATE TRIGGER message_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_fts (message_fts, rowid, content) VALUES ('delete', old.rid, old.content);
END;
CREATE TRIGGER message_fts_update AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    INSERT INTO message_fts (message_fts, rowid, content) VALUES ('delete', old.rid, old.content);
    INSERT INTO message_fts (rowid, content) VALUES (new.rid, new.content);
END;

CREATE VIRTUAL TABLE conversation_fts USING fts5 (title, summary, content = 'conversations', content_rowid = 'rid');
CREATE TRIGGER conversation_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversation_fts (rowid, title, summary) VALUES (new.rid, new.title, new.summary);
END;
CREATE TRIGGER conversation_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversation_fts (conversation_fts, rowid, title, summary) VALUES ('delete', old.rid, old.title, old.summary);
END;
-- Every write names title and summary, so reindex only when they really change.
CREATE TRIGGER conversation_fts_update AFTER UPDATE OF title, summary ON conversations
WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary BEGIN
    INSERT INTO conversation_fts (conversation_fts, rowid, title, summary) VALUES ('delete', old.rid, old.title, old.summary);
    INSERT INTO conversation_fts (rowid, title, summary) VALUES (new.rid, new.title, new.summary);
END;

CREATE VIRTUAL TABLE contact_fts USING fts5 (name, email, phone, content = 'contacts', content_rowid = 'rid');
CREATE TRIGGER contact_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_fts (rowid, name, email, phone) VALUES (new.rid, new.name, new.email, new.phone);
END;
CREATE TRIGGER contact_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contact_fts (contact_fts, rowid, name, email, phone) VALUES ('delete', old.rid, old.name, old.email, old.phone);
END;
CREATE TRIGGER contact_fts_update AFTER UPDATE OF name, email, phone ON contacts
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone BEGIN
    INSERT INTO contact_fts (contact_fts, rowid, name, email, phone) VALUES ('delete', old.rid, old.name, old.email, old.phone);
    INSERT INTO contact_fts (rowid, name, email, phone) VALUES (new.rid, new.name, new.email, new.phone);
END;
