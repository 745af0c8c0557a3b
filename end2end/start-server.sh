#!/usr/bin/env bash
# Starts Castellan for the end-to-end tests: a fresh SQLite database in a new temporary
# directory, one organisation ("e2e") with one administrator, the demo organisation
# ("northwind") with a known administrator password, then `castellan serve`.
#
# Run from anywhere; paths are resolved from the repository root.
#   E2E_PORT       port to listen on (default 3917)
#   CASTELLAN_BIN  the castellan binary (default <repo>/target/debug/castellan)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${E2E_PORT:-3917}"
BIN="${CASTELLAN_BIN:-$REPO/target/debug/castellan}"

if [[ ! -x "$BIN" ]]; then
  echo "start-server.sh: $BIN does not exist or is not executable; build the server first (make build)." >&2
  exit 1
fi
if [[ ! -d "$REPO/target/site/pkg" ]]; then
  echo "start-server.sh: warning: $REPO/target/site/pkg is missing; pages will load without CSS and WebAssembly." >&2
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/castellan-e2e.XXXXXX")"

export CASTELLAN_DATABASE_URL="sqlite://$TMP/e2e.db?mode=rwc"
export CASTELLAN_ADDR="127.0.0.1:$PORT"
export CASTELLAN_SITE_ROOT="$REPO/target/site"
export CASTELLAN_MFA_KEY_FILE="$TMP/mfa.key"
export CASTELLAN_AUDIT_SIGNING_KEY_FILE="$TMP/audit-signing.key"
export CASTELLAN_AUDIT_ARCHIVE_DIR="$TMP/audit-archive"
# Alerts are raised within a second of the events behind them.
export CASTELLAN_JOBS_INTERVAL_SECONDS=1
# Parallel tests all sign in from 127.0.0.1: keep the per-address limit out of the way.
# The per-account limit stays at its default (5), which the throttling test relies on.
export CASTELLAN_ADDRESS_FAILURE_LIMIT=10000
# Logs go to stderr, which Playwright shows: warnings and errors only.
export CASTELLAN_LOG_LEVEL="${CASTELLAN_LOG_LEVEL:-warn}"

echo "e2e-admin-password-123" | "$BIN" admin create \
  --org e2e --org-name "E2E Org" --email admin@e2e.test --name "E2E Admin"

# A second organisation with the demo CX workspace (tickets, feedback, customers, teams) for the
# access-control specs; its administrator gets a known password.
echo "e2e-demo-password-123" | "$BIN" demo seed --password-stdin >/dev/null

echo "start-server.sh: database in $TMP; serving on http://localhost:$PORT" >&2
exec "$BIN" serve
