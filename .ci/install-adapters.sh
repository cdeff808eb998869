#!/usr/bin/env bash
# Installs what tests/adapters.rs needs beyond .ci/install-proxies.sh: Dante's
# SOCKS server (dante-server, /usr/sbin/danted), the real SOCKS4 proxy the
# adapters are tested against (microsocks speaks SOCKS5 only). The tests start
# their own danted on a free loopback port; nothing is started here.
#
# Idempotent (installs only what is missing), quiet unless it fails, exits
# non-zero on any error.
set -euo pipefail

if ! dpkg-query -W -f='${Status}' dante-server 2>/dev/null | grep -q 'install ok installed'; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-adapters: root is needed to install dante-server" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  # Keep the package from starting a system danted during the install.
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
  fi
  status=0
  {
    apt-get update -q &&
      apt-get install -y -q --no-install-recommends dante-server
  } >"$log" 2>&1 || status=$?
  if [ -n "$made_policy" ]; then rm -f "$policy"; fi
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "install-adapters: installing dante-server failed (exit $status)" >&2
    exit "$status"
  fi
  rm -f "$log"
fi

if [ ! -x /usr/sbin/danted ]; then
  echo "install-adapters: /usr/sbin/danted is missing after the install" >&2
  exit 1
fi
echo "install-adapters: $(/usr/sbin/danted -v 2>&1 | head -n 1)"
