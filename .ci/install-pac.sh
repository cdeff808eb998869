#!/usr/bin/env bash
# Installs the second PAC evaluator for tests/pac_differential.rs: node, npm
# and npm's pac-resolver (pinned by tests/pac_differential/package-lock.json).
# Idempotent; quiet unless it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-pac: cannot install node and npm (apt-get install nodejs npm)" >&2
    exit 1
  fi
  rm -f "$log"
fi
dir=tests/pac_differential
if [ ! -f "$dir/node_modules/.package-lock.json" ] || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.ci" 2>/dev/null; then
  log=$(mktemp)
  if ! npm ci --prefix "$dir" --no-audit --no-fund >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-pac: npm ci --prefix $dir failed" >&2
    exit 1
  fi
  rm -f "$log"
  cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.ci"
fi
