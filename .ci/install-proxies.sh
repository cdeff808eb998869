#!/usr/bin/env bash
# Installs the real proxies and the client that tests/real_proxies.rs drives:
# squid (the reference HTTP proxy: Basic auth through basic_ncsa_auth, CONNECT),
# microsocks (SOCKS5 with and without a user), curl, and htpasswd
# (apache2-utils) for squid's password file. The tests start their own
# instances on free loopback ports; nothing is started here.
#
# Idempotent (installs only what is missing) and quiet (apt's output is shown
# only when it fails); exits non-zero on any error. Called from .ci/run before
# `cargo test`.
set -euo pipefail

# gsettings (libglib2.0-bin) and the proxy schema for tests/system.rs; openssl
# (s_server) serves PAC files over HTTPS for tests/pac_fetch.rs.
# squid-openssl is squid built with ssl_bump (TLS interception) and
# security_file_certgen, for tests/probe.rs; it provides /usr/sbin/squid and
# conflicts with the plain `squid` package, which tests/real_proxies.rs is
# equally happy with: an installed squid-openssl is kept, a plain squid is
# replaced by it.
# iproute2 (`ip`) brings up loopback in the network namespaces (`unshare -n`)
# where tests/probe*.rs look up names that must not resolve.
. "$(dirname "$0")/apt.sh"
# The squid package would start a system squid on port 3128 where it can;
# apt_install keeps services from starting.
apt_install install-proxies squid-openssl microsocks curl apache2-utils libglib2.0-bin \
  gsettings-desktop-schemas openssl iproute2

# Every program the tests look for, where they look for it.
for prog in squid microsocks curl htpasswd; do
  if ! command -v "$prog" >/dev/null 2>&1; then
    echo "install-proxies: $prog is missing after the install" >&2
    exit 1
  fi
done
for helper in basic_ncsa_auth security_file_certgen; do
  if [ ! -x "/usr/lib/squid/$helper" ]; then
    echo "install-proxies: /usr/lib/squid/$helper is missing (apt-get install squid-openssl)" >&2
    exit 1
  fi
done
if ! squid -v | grep -q -- '--with-openssl'; then
  echo "install-proxies: this squid has no ssl_bump (apt-get install squid-openssl)" >&2
  exit 1
fi
for prog in unshare mount ip; do
  if ! command -v "$prog" >/dev/null 2>&1; then
    echo "install-proxies: $prog (util-linux, mount, iproute2) is missing" >&2
    exit 1
  fi
done
echo "install-proxies: $(squid -v | head -n 1) with ssl_bump, microsocks, $(curl --version | head -n 1 | cut -d ' ' -f 1-2), htpasswd"
