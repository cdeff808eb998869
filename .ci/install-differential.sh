#!/usr/bin/env bash
# Installs the real programs tests/differential.rs runs proxyroute against:
# curl (Debian 7.88), Debian's python3 (3.11, at /usr/bin/python3), golang-go
# (1.19), util-linux (unshare) and iproute2 (ip) for the loopback-only network
# namespace, and Node with npm; then `npm ci` installs the pinned
# proxy-from-env in tests/differential/node.
#
# Idempotent (installs only what is missing) and quiet (output is shown only
# on failure); exits non-zero on any error. Called from .ci/run before the
# differential step.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(curl python3 golang-go util-linux iproute2)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
. .ci/apt.sh
apt_install install-differential "${packages[@]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for tool in /usr/bin/curl /usr/bin/python3 go unshare ip node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-differential: $tool is still missing" >&2
    exit 1
  fi
done

node_dir=tests/differential/node
# `npm ci` unless the pinned version is what node_modules holds already.
pinned=$(cd "$node_dir" && node -p "require('./package.json').dependencies['proxy-from-env']")
installed=$(cd "$node_dir" && node -p "try { require('./node_modules/proxy-from-env/package.json').version } catch (e) { '' }")
if [ "$pinned" != "$installed" ]; then
  if ! (cd "$node_dir" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-differential: npm ci in $node_dir failed" >&2
    exit 1
  fi
fi
