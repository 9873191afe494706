"""Counts the pages a SQLite database's WAL holds, by table or index.

Post through a server for a moment, kill it with SIGKILL (so the WAL is kept), copy the WAL,
then run: python bench/wal_frames.py DB WAL_COPY POSTS
It needs a SQLite new enough for the schema (contentless_delete FTS5) with dbstat, e.g. the
one in PyPI's apsw: python -m venv v && v/bin/pip install apsw.
"""

import collections
import struct
import sys

import apsw

db, wal, posts = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(wal, "rb").read()
page_size, salts = struct.unpack(">I", data[8:12])[0], data[16:24]
frames, commits, offset = [], 0, 32
# Frames of the WAL's current generation only: their salts match the header's.
while offset + 24 + page_size <= len(data) and data[offset + 8 : offset + 16] == salts:
    page, commit = struct.unpack(">II", data[offset : offset + 8])
    frames.append(page)
    commits += commit != 0
    offset += 24 + page_size
owner = {}
wanted = set(frames)
for name, page, kind in apsw.Connection(db).execute("SELECT name, pageno, pagetype FROM dbstat"):
    if page in wanted:
        owner[page] = f"{name} ({kind})"
print(f"{len(frames)} frames, {commits} commits, {len(frames) / posts:.1f} frames per post")
counts = collections.Counter(owner.get(page, "?") for page in frames)
for name, count in counts.most_common():
    print(f"{count / posts:5.2f} per post  {name}")
