#!/usr/bin/env bash
# Alternates builds of the server and measures posting at 16 clients with each, round after
# round, so that machine noise falls on every build alike. Each build runs on its own copy of
# the dataset, made at the start (a build may migrate the schema, which another could not
# open); every copy grows by what that build posted.
# Throughput is what counts, but on a machine whose disk flushes are noisy it can swing by
# half between rounds; the last column, the posting thread's CPU time per acknowledged post
# (from /proc), is much steadier and shows what a change saves in the writer itself.
# Usage: bench/ab.sh conversations rounds binary… (the dataset comes from bench/run.sh)
# e.g. cp target/release/baton /tmp/baton-old; …rebuild…; bench/ab.sh 100000 3 /tmp/baton-old target/release/baton
set -euo pipefail
cd "$(dirname "$0")/.."
N="$1"; ROUNDS="$2"; shift 2
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton-target}"
WORK="${BATON_BENCH_DIR:-$HOME/.cache/baton-bench}"
PORT="${BATON_BENCH_PORT:-18090}"
set -a; . "$WORK/bench-sqlite-$N.env"; set +a
# CPU milliseconds the server's posting thread has used so far.
posting_cpu_ms() {
  local task
  for task in /proc/"$1"/task/*; do
    if [ "$(cat "$task/comm")" = baton-posts ]; then
      awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "$task/stat"
    fi
  done
}
i=0
for bin in "$@"; do
  i=$((i + 1))
  # The database with its WAL: a server stopped mid-write leaves committed pages there.
  rm -f "$WORK/ab-$N-$i.db"*
  cp "$WORK/bench-$N.db" "$WORK/ab-$N-$i.db"
  [ ! -f "$WORK/bench-$N.db-wal" ] || cp "$WORK/bench-$N.db-wal" "$WORK/ab-$N-$i.db-wal"
  # Each build's schema before any round is timed.
  "$bin" --database-url "sqlite://$WORK/ab-$N-$i.db" migrate >/dev/null
done
cargo bench --locked --bench load --no-run 2>/dev/null
echo "| build | clients | messages/s | p50 ms | p99 ms | stored/acknowledged | raw inserts/s | throughput ratio | p99 vs healthz | posting thread µs/post |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for _ in $(seq 1 "$ROUNDS"); do
  i=0
  for bin in "$@"; do
    i=$((i + 1))
    URL="sqlite://$WORK/ab-$N-$i.db"
    "$bin" serve --addr "127.0.0.1:$PORT" --database-url "$URL" >/dev/null 2>"$WORK/server.log" &
    server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
    before="$(posting_cpu_ms "$server")"
    row="$(cargo bench --locked --bench load -- run --url "http://127.0.0.1:$PORT" --database-url "$URL" \
      --seconds 8 --phases ingest --clients 16 2>/dev/null | grep -E '^\| 16 \|' | tail -1)"
    acknowledged="$(echo "$row" | cut -d'|' -f6 | cut -d/ -f2 | tr -d ' ')"
    per_post=-
    [ "${acknowledged:-0}" -gt 0 ] && per_post=$(( ($(posting_cpu_ms "$server") - before) * 1000 / acknowledged ))
    echo "| $(basename "$bin") $row $per_post |"
    kill "$server"; wait "$server" || true
  done
done
