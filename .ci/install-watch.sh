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

. "$(dirname "$0")/apt.sh"
apt_install install-watch dbus-daemon dconf-service dconf-gsettings-backend
