-- Which names an endpoint's events carry: `native` (conversation.*, message.*, …), or
-- `chats` (seed 000's `agent.handoff_started` / `agent.handoff_completed`, with the chat).
ALTER TABLE webhook_endpoints ADD COLUMN event_names TEXT NOT NULL DEFAULT 'native';
