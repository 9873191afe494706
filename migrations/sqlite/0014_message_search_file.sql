-- The message search index moves to a file of its own beside the database
-- (src/store/message_index.rs): filling it no longer holds this file's write lock, so posts
-- go on while it is filled. The new file starts empty and is filled from every message.
-- What the index cannot see for itself is recorded here for it: the keys of deleted and
-- edited messages, which it drops (and, for an edit, indexes again) on its next round.
DROP TRIGGER message_search_delete;
DROP TRIGGER message_search_update;
DROP TABLE message_search;
DROP TABLE message_index_progress;

CREATE TABLE message_search_changes (
    id    INTEGER PRIMARY KEY,
    -- The message's index key (conversation rid × 2^24 + seq) and its rid.
    key   INTEGER NOT NULL,
    rid   INTEGER NOT NULL
);
-- A conversation deletes its messages before itself (migration 0012), so their keys can
-- still be read from it here.
CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_search_changes (key, rid)
    SELECT c.rid * 16777216 + old.seq, old.rid FROM conversations c WHERE c.id = old.conversation_id;
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    INSERT INTO message_search_changes (key, rid)
    SELECT c.rid * 16777216 + old.seq, old.rid FROM conversations c WHERE c.id = old.conversation_id;
END;
