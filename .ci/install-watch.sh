#!/usr/bin/env bash
# Installs what tests/watch.rs needs beyond .ci/install-proxies.sh (which
# brings gsettings and the proxy schema): a D-Bus session daemon and the dconf
# service with its GSettings backend, for the test that follows the dconf
# database through a private session bus. Nothing is started here.
#
# Idempotent (installs only what is missing) and quiet (apt's output is shown
# only when it fails); exits non-zero on any error. Called from .ci/run before
# the watcher's tests.
set -euo pipefail

packages=(dbus-daemon dconf-service dconf-gsettings-backend)
need=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    need+=("$pkg")
  fi
done
[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-watch: root is needed to install: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "install-watch: installing ${need[*]} failed" >&2
  exit 1
fi
rm -f "$log"
