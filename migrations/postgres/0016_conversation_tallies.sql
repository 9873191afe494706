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
    removed      BIGINT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, assignee_id, status, mode, removed)
);

INSERT INTO conversation_tallies (workspace_id, assignee_id, status, mode, removed, n)
SELECT workspace_id, COALESCE(assignee_id, ''), status, mode, removed, COUNT(*)
FROM conversations GROUP BY workspace_id, COALESCE(assignee_id, ''), status, mode, removed;

-- A workspace's tally rows are changed under its transaction lock, the one events are
-- written under, so two transactions never wait for each other's tally rows in turn.
CREATE FUNCTION conversation_tallies_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_advisory_xact_lock(hashtext(OLD.workspace_id));
    ELSE
        PERFORM pg_advisory_xact_lock(hashtext(NEW.workspace_id));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE conversation_tallies SET n = n - 1
        WHERE workspace_id = OLD.workspace_id AND assignee_id = COALESCE(OLD.assignee_id, '')
          AND status = OLD.status AND mode = OLD.mode AND removed = OLD.removed;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO conversation_tallies (workspace_id, assignee_id, status, mode, removed, n)
        VALUES (NEW.workspace_id, COALESCE(NEW.assignee_id, ''), NEW.status, NEW.mode, NEW.removed, 1)
        ON CONFLICT (workspace_id, assignee_id, status, mode, removed)
        DO UPDATE SET n = conversation_tallies.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER conversation_tallies_insert_delete AFTER INSERT OR DELETE ON conversations
FOR EACH ROW EXECUTE FUNCTION conversation_tallies_count();

CREATE TRIGGER conversation_tallies_update AFTER UPDATE OF status, mode, assignee_id, removed ON conversations
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.mode IS DISTINCT FROM NEW.mode
    OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.removed IS DISTINCT FROM NEW.removed)
EXECUTE FUNCTION conversation_tallies_count();
