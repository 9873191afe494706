-- How many conversations a workspace has by assignee, status, mode and removal, kept by
-- triggers in the transaction of every change, so the inbox's badges
-- (`GET /v1/conversations/counts`) read a few rows instead of counting the workspace.
-- `assignee_id` is '' for unassigned. Posts rarely change these columns, and a post that does
-- not writes nothing here.

CREATE TABLE conversation_tallies (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    assignee_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    removed      INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, assignee_id, status, mode, removed)
);

INSERT INTO conversation_tallies (workspace_id, assignee_id, status, mode, removed, n)
SELECT workspace_id, COALESCE(assignee_id, ''), status, mode, removed, COUNT(*)
FROM conversations GROUP BY workspace_id, COALESCE(assignee_id, ''), status, mode, removed;

CREATE TRIGGER conversation_tallies_insert AFTER INSERT ON conversations
BEGIN
    INSERT INTO conversation_tallies (workspace_id, assignee_id, status, mode, removed, n)
    VALUES (NEW.workspace_id, COALESCE(NEW.assignee_id, ''), NEW.status, NEW.mode, NEW.removed, 1)
    ON CONFLICT (workspace_id, assignee_id, status, mode, removed) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER conversation_tallies_delete AFTER DELETE ON conversations
BEGIN
    UPDATE conversation_tallies SET n = n - 1
    WHERE workspace_id = OLD.workspace_id AND assignee_id = COALESCE(OLD.assignee_id, '')
      AND status = OLD.status AND mode = OLD.mode AND removed = OLD.removed;
END;

CREATE TRIGGER conversation_tallies_update AFTER UPDATE OF status, mode, assignee_id, removed ON conversations
WHEN OLD.status IS NOT NEW.status OR OLD.mode IS NOT NEW.mode
  OR OLD.assignee_id IS NOT NEW.assignee_id OR OLD.removed IS NOT NEW.removed
BEGIN
    UPDATE conversation_tallies SET n = n - 1
    WHERE workspace_id = OLD.workspace_id AND assignee_id = COALESCE(OLD.assignee_id, '')
      AND status = OLD.status AND mode = OLD.mode AND removed = OLD.removed;
    INSERT INTO conversation_tallies (workspace_id, assignee_id, status, mode, removed, n)
    VALUES (NEW.workspace_id, COALESCE(NEW.assignee_id, ''), NEW.status, NEW.mode, NEW.removed, 1)
    ON CONFLICT (workspace_id, assignee_id, status, mode, removed) DO UPDATE SET n = n + 1;
END;
