-- SQLite's message index is filled after commit from this version. PostgreSQL keeps each
-- message's tsvector in its row, written with it, so nothing changes here.
SELECT 1;
