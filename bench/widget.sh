#!/usr/bin/env bash
# The widget's budgets on a fresh SQLite database: with 200 visitors' widget streams and 20
# inbox streams connected, a visitor's post to the inbox streams and a member's reply to the
# widget stream (p50, p99); 1 MB upload throughput; the loader's and the frame's sizes.
# Usage: bench/widget.sh [visitors] [inbox-streams] [messages]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton-target}"
WORK="$(mktemp -d)"
PORT="${BATON_BENCH_PORT:-18092}"

cargo build --release --locked --bin baton
(cd tests/browser && npm ci --no-audit --no-fund --silent)
# Every simulated visitor comes from this machine's one address: lift the per-address limits.
"$CARGO_TARGET_DIR/release/baton" serve --addr "127.0.0.1:$PORT" --database-url "sqlite://$WORK/widget.db" \
  --widget-sessions-per-minute 100000 --visitor-conversations-per-minute 100000 \
  --visitor-messages-per-minute 100000 --visitor-uploads-per-hour 100000 \
  --visitor-upload-bytes-per-hour 100000000000 --streams-per-address 100000 \
  >"$WORK/printed.txt" 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
KEY="$(grep -o 'bt_sk_[A-Za-z0-9]*' "$WORK/printed.txt" | head -1)"
echo "## the widget ($(nproc) cores, $(date -u +%Y-%m-%d))"
node tests/browser/bench-widget.mjs "http://127.0.0.1:$PORT" "$KEY" "${1:-200}" "${2:-20}" "${3:-400}"
