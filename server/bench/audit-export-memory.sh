#!/usr/bin/env bash
# Measures the server's resident memory while it streams a large audit export.
#
#   server/bench/audit-export-memory.sh DATABASE_URL [FROM] [TO]
#
# DATABASE_URL is a database seeded by `castellan-bench audit` (organisation `bench`,
# administrator admin@bench.example). FROM/TO are the export's time filter (UTC dates); the
# default, 100 to 64 days ago, holds about 1,000,000 of 10,000,000 seeded events.
# Prints the number of exported lines, the time taken, and the server's peak resident memory
# while exporting (sampled every 100 ms) and over its whole life (VmHWM).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${CASTELLAN_BIN:-$REPO/target/release/castellan}"
URL="$1"
FROM="${2:-$(date -u -d '100 days ago' +%F)}"
TO="${3:-$(date -u -d '64 days ago' +%F)}"
PORT="${PORT:-3977}"
TMP="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$TMP"' EXIT

CASTELLAN_DATABASE_URL="$URL" CASTELLAN_ADDR="127.0.0.1:$PORT" CASTELLAN_MFA_KEY_FILE="$TMP/mfa.key" \
  CASTELLAN_LOG_LEVEL=warn "$BIN" serve >"$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

JAR="$TMP/cookies"
TOKEN=$(curl -s -c "$JAR" -b "$JAR" "http://127.0.0.1:$PORT/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
curl -s -o /dev/null -c "$JAR" -b "$JAR" -H 'accept: text/html' \
  --data-urlencode "csrf_token=$TOKEN" --data-urlencode "org=bench" \
  --data-urlencode "email=admin@bench.example" --data-urlencode "password=bench password 1234" \
  "http://127.0.0.1:$PORT/api/sign_in"

rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
BEFORE=$(rss)
PEAK=$BEFORE
( while kill -0 "$SERVER" 2>/dev/null; do rss >>"$TMP/rss"; sleep 0.1; done ) &
SAMPLER=$!
START=$(date +%s.%N)
LINES=$(curl -s -b "$JAR" "http://127.0.0.1:$PORT/audit/export.ndjson?from=$FROM&to=$TO" | wc -l)
END=$(date +%s.%N)
kill "$SAMPLER" 2>/dev/null || true
PEAK=$(sort -n "$TMP/rss" | tail -1)
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
echo "exported $LINES events ($FROM to $TO) in $(echo "$END - $START" | bc) s"
echo "server resident memory: $((BEFORE / 1024)) MB before, $((PEAK / 1024)) MB at most while exporting, VmHWM $((HWM / 1024)) MB"
