-- Posting a message touches fewer index pages: optional client ids are indexed only when
-- given; only events about a contact alone are found by contact (a conversation's events
-- are found through its conversation); a contact's few conversations need no sorted index.
DROP INDEX messages_client_id;
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
DROP INDEX events_by_contact;
CREATE INDEX events_by_contact ON events (contact_id) WHERE conversation_id IS NULL;
DROP INDEX conversations_by_contact;
CREATE INDEX conversations_by_contact ON conversations (contact_id);
