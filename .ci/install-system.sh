#!/usr/bin/env bash
# The real implementations tests/system_differential.rs compares the system
# readers with: glib-networking's GNOME resolver (through Debian's python3-gi)
# and libproxy's `proxy` tool with its GNOME and KDE modules (the KDE module
# reads kioslaverc through kreadconfig5). Idempotent; quiet unless it fails.
set -euo pipefail
. "$(dirname "$0")/apt.sh"
apt_install install-system --with-recommends glib-networking python3-gi gsettings-desktop-schemas \
  libglib2.0-bin libproxy-tools libproxy1-plugin-gsettings libproxy1-plugin-kconfig libkf5config-bin
