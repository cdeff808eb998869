# Sourced by the .ci/install-*.sh scripts: one way to install Debian packages.
#
# apt_install WHO [--with-recommends] PACKAGE...
#   Installs the packages that are not installed yet; does nothing when all
#   are. Quiet: apt's output is shown only when it fails. Services are kept
#   from starting during the install (a policy-rc.d that denies every start,
#   removed afterwards; an existing one is left alone), since the tests start
#   their own servers. Needs root when something is missing. Exits the script
#   with apt's status, naming WHO and the packages, on any failure.
apt_install() {
  local who=$1
  shift
  local recommends=--no-install-recommends
  if [ "${1:-}" = --with-recommends ]; then
    recommends=
    shift
  fi
  local need=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      need+=("$pkg")
    fi
  done
  if [ "${#need[@]}" -eq 0 ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "$who: root is needed to install: ${need[*]}" >&2
    exit 1
  fi
  local log policy=/usr/sbin/policy-rc.d made_policy= status=0
  log=$(mktemp)
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
  fi
  {
    apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q $recommends "${need[@]}"
  } >"$log" 2>&1 || status=$?
  if [ -n "$made_policy" ]; then
    rm -f "$policy"
  fi
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "$who: installing ${need[*]} failed (exit $status)" >&2
    exit "$status"
  fi
  rm -f "$log"
}
