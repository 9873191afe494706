#!/usr/bin/env bash
# Builds release, generates the dataset once (kept in $BATON_BENCH_DIR), starts a real
# `baton serve` on loopback, and measures it over HTTP.
# Usage: bench/run.sh [sqlite|postgres] [conversations] [seconds per phase] [driver flags…]
# e.g. bench/run.sh sqlite 100000 10 --phases http,stream,webhooks
set -euo pipefail
cd "$(dirname "$0")/.."
KIND="${1:-sqlite}"
N="${2:-1000000}"
SECONDS_PER_PHASE="${3:-10}"
shift $(( $# < 3 ? $# : 3 ))
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton-target}"
WORK="${BATON_BENCH_DIR:-$HOME/.cache/baton-bench}"
PORT="${BATON_BENCH_PORT:-18090}"
mkdir -p "$WORK"

case "$KIND" in
  sqlite) URL="sqlite://$WORK/bench-$N.db" ;;
  postgres)
    URL="postgres://postgres@127.0.0.1:5432/baton_bench_$N"
    psql -h 127.0.0.1 -U postgres -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'baton_bench_$N'" | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE baton_bench_$N" ;;
  *) echo "usage: bench/run.sh [sqlite|postgres] [conversations] [seconds]"; exit 2 ;;
esac

cargo build --release --locked --bin baton
bench() { cargo bench --locked --bench load -- "$@"; }
ENV_FILE="$WORK/bench-$KIND-$N.env"
if [ ! -f "$ENV_FILE" ]; then
  bench generate --database-url "$URL" --conversations "$N" --env-file "$ENV_FILE"
fi
set -a; . "$ENV_FILE"; set +a

# Private targets allowed: the webhook phase delivers to a receiver on loopback.
"$CARGO_TARGET_DIR/release/baton" serve --addr "127.0.0.1:$PORT" --database-url "$URL" --webhook-allow-private >/dev/null 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

echo "## $KIND, $N conversations ($(nproc) cores, $(date -u +%Y-%m-%d))"
echo
bench run --url "http://127.0.0.1:$PORT" --database-url "$URL" --seconds "$SECONDS_PER_PHASE" "$@"
