#!/usr/bin/env bash
# The real implementations tests/system_differential.rs compares the system
# readers with: glib-networking's GNOME resolver (through Debian's python3-gi)
# and libproxy's `proxy` tool with its GNOME and KDE modules (the KDE module
# reads kioslaverc through kreadconfig5). Idempotent; quiet unless it fails.
set -euo pipefail
packages=(glib-networking python3-gi gsettings-desktop-schemas libglib2.0-bin
  libproxy-tools libproxy1-plugin-gsettings libproxy1-plugin-kconfig libkf5config-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log=$(mktemp)
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-system.sh: could not install ${missing[*]}" >&2
    exit 1
  fi
  rm -f "$log"
fi
