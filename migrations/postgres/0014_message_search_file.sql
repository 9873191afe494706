-- SQLite's message index moves to a file of its own from this version. PostgreSQL keeps each
-- message's tsvector in its row, written with it, so nothing changes here.
SELECT 1;
