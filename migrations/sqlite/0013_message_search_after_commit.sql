-- Messages reach the search index in bulk just after they are committed
-- (src/store/message_index.rs), no longer by a trigger inside the transaction that posts
-- them: FTS5 writes (and later merges) a new index segment at every commit, which cost about
-- a third of a post's time in the database. `indexed_rid` is how far the index has got: every
-- message with a lower or equal rid is in it, none above is.
DROP TRIGGER message_search_insert;

CREATE TABLE message_index_progress (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_rid  INTEGER NOT NULL
);
INSERT INTO message_index_progress (id, indexed_rid) SELECT 1, COALESCE(MAX(rid), 0) FROM messages;

-- Only a message already indexed has a row to remove or replace; one not yet indexed is
-- picked up, as it now reads, by the next round.
DROP TRIGGER message_search_delete;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN old.rid <= (SELECT indexed_rid FROM message_index_progress) BEGIN
    DELETE FROM message_search
    WHERE rowid = (SELECT c.rid * 16777216 + old.seq FROM conversations c WHERE c.id = old.conversation_id);
    -- A rid is not AUTOINCREMENT: once the newest message is deleted, the next one may take
    -- its rid again, so the mark comes down to the newest message left.
    UPDATE message_index_progress SET indexed_rid = (SELECT COALESCE(MAX(rid), 0) FROM messages)
    WHERE indexed_rid > (SELECT COALESCE(MAX(rid), 0) FROM messages);
END;
DROP TRIGGER message_search_update;
CREATE TRIGGER message_search_update AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content AND old.rid <= (SELECT indexed_rid FROM message_index_progress) BEGIN
    DELETE FROM message_search
    WHERE rowid = (SELECT c.rid * 16777216 + old.seq FROM conversations c WHERE c.id = old.conversation_id);
    INSERT INTO message_search (rowid, content)
    SELECT c.rid * 16777216 + new.seq, new.content FROM conversations c WHERE c.id = new.conversation_id;
END;
