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

. "$(dirname "$0")/apt.sh"
apt_install install-adapters dante-server openssh-server openssh-client

for program in /usr/sbin/danted /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen; do
  if [ ! -x "$program" ]; then
    echo "install-adapters: $program is missing after the install" >&2
    exit 1
  fi
done
echo "install-adapters: $(/usr/sbin/danted -v 2>&1 | head -n 1)"
echo "install-adapters: $(/usr/bin/ssh -V 2>&1 | head -n 1)"
