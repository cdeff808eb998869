#!/usr/bin/env bash
# Installs what tests/adapters.rs needs beyond .ci/install-proxies.sh:
#
# - Dante's SOCKS server (dante-server, /usr/sbin/danted), the real SOCKS4
#   proxy the adapters are tested against (microsocks speaks SOCKS5 only);
# - OpenSSH's server and client (openssh-server, openssh-client): the tests
#   start a private sshd and `ssh -D`, whose dynamic forwarding speaks SOCKS4,
#   SOCKS4a and SOCKS5 (Dante has no SOCKS4a).
#
# The tests start their own danted, sshd and ssh on free loopback ports;
# nothing is started here, and the packages are kept from starting a system
# danted or sshd while they install (a policy-rc.d that denies every start).
#
# Idempotent (installs only what is missing), quiet unless it fails, exits
# non-zero on any error.
set -euo pipefail

packages=(dante-server openssh-server openssh-client)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-adapters: root is needed to install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  # Keep the packages from starting a system danted or sshd during the install.
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
      apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >"$log" 2>&1 || status=$?
  if [ -n "$made_policy" ]; then rm -f "$policy"; fi
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "install-adapters: installing ${missing[*]} failed (exit $status)" >&2
    exit "$status"
  fi
  rm -f "$log"
fi

for program in /usr/sbin/danted /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen; do
  if [ ! -x "$program" ]; then
    echo "install-adapters: $program is missing after the install" >&2
    exit 1
  fi
done
echo "install-adapters: $(/usr/sbin/danted -v 2>&1 | head -n 1)"
echo "install-adapters: $(/usr/bin/ssh -V 2>&1 | head -n 1)"
