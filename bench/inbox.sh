#!/usr/bin/env bash
# The inbox's budgets on a generated dataset (bench/run.sh makes it): bytes loaded before the
# list shows and the time from "Sign in" to the list, in Debian's chromium.
# Usage: bench/inbox.sh [conversations] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
RUNS="${2:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton-target}"
WORK="${BATON_BENCH_DIR:-$HOME/.cache/baton-bench}"
PORT="${BATON_BENCH_PORT:-18091}"
ENV_FILE="$WORK/bench-sqlite-$N.env"
[ -f "$ENV_FILE" ] || { echo "no dataset: run bench/run.sh sqlite $N first"; exit 1; }
set -a; . "$ENV_FILE"; set +a

cargo build --release --locked --bin baton
(cd tests/browser && npm ci --no-audit --no-fund --silent)
"$CARGO_TARGET_DIR/release/baton" serve --addr "127.0.0.1:$PORT" --database-url "sqlite://$WORK/bench-$N.db" \
  >/dev/null 2>"$WORK/inbox-server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "## the inbox on $N conversations ($(nproc) cores, $(date -u +%Y-%m-%d))"
node tests/browser/bench-inbox.mjs "http://127.0.0.1:$PORT" "$BATON_BENCH_KEY" "$RUNS"
