#!/usr/bin/env bash
# Sign-in under a flood, on a fresh SQLite database with a release build: N simultaneous
# POST /v1/auth/login with unknown emails, each from its own address (a botnet: the
# per-address throttle does not help, so every one reaches the password check). Reports the
# server's resident memory idle and at its peak during the flood (sampled every 20 ms), the
# answers by status, and /healthz latency while the flood runs.
# Target: peak RSS under idle + 150 MB, /healthz answering throughout.
# Usage: bench/sign_in.sh [simultaneous sign-ins, default 60] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton-target}"
WORK="$(mktemp -d)"
PORT="${BATON_BENCH_PORT:-18093}"

cargo build --release --locked --bin baton
"$CARGO_TARGET_DIR/release/baton" serve --addr "127.0.0.1:$PORT" --database-url "sqlite://$WORK/sign-in.db" \
  --trust-forwarded-for >"$WORK/printed.txt" 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "## sign-in flood ($(nproc) cores, $(date -u +%Y-%m-%d))"
python3 - "$PORT" "$SERVER" "${1:-60}" "${2:-3}" <<'PY'
import asyncio, json, statistics, sys, time

port, pid, flood, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def rss_mb():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

async def request(method, path, body=b"", headers=()):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n".encode() + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    return int(response[9:12])

async def sign_in(n, address):
    body = json.dumps({"email": f"nobody{n}@example.com", "password": "guess"}).encode()
    return await request("POST", "/v1/auth/login", body, [("X-Forwarded-For", address)])

async def main():
    await asyncio.sleep(1)
    idle = rss_mb()
    peak, health, statuses = idle, [], {}
    for r in range(rounds):
        flood_task = asyncio.gather(*(sign_in(n, f"10.{r}.{n // 250}.{n % 250}") for n in range(flood)))
        started = time.monotonic()
        while not flood_task.done():
            peak = max(peak, rss_mb())
            t = time.monotonic()
            assert await request("GET", "/healthz") == 200
            health.append((time.monotonic() - t) * 1000)
            await asyncio.sleep(0.02)
        for status in flood_task.result():
            statuses[status] = statuses.get(status, 0) + 1
        took = time.monotonic() - started
        print(f"round {r + 1}: {flood} sign-ins answered in {took:.2f} s")
    health.sort()
    print(f"RSS idle {idle:.0f} MB, peak {peak:.0f} MB: +{peak - idle:.0f} MB (target < +150 MB)")
    print(f"answers: {dict(sorted(statuses.items()))}")
    print(f"/healthz during the flood: {len(health)} answered, p50 {statistics.median(health):.1f} ms, "
          f"max {health[-1]:.1f} ms")

asyncio.run(main())
PY
