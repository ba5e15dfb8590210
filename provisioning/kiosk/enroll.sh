#!/usr/bin/env bash
# Enrols this kiosk with the server, then (re)starts the kiosk screen. Run as root:
#
#   sudo /opt/shopfloor/enroll.sh [--new-server] CODE [SERVER_URL]
#
# CODE is the whole enrolment code (SFK1:...) from `shopfloor-server kiosk add NAME
# --workshop W` (or the admin pages): it names the server and its certificate, which the
# kiosk pins. SERVER_URL (https://HOST:PORT) is where to look first; without it the kiosk
# finds the server by mDNS. --new-server: move a kiosk to a different server (unsent
# events stay with the old one and are never sent to the new one).
set -euo pipefail

KIOSK_BIN=${KIOSK_BIN:-/opt/shopfloor/venv/bin/shopfloor-kiosk}
DATA_DIR=${KIOSK_DATA_DIR:-/var/lib/shopfloor-kiosk}
KIOSK_USER=${KIOSK_USER:-kiosk}

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
new_server=0
if [ "${1:-}" = "--new-server" ]; then new_server=1; shift; fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage >&2; exit 2; fi
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo $0 ...)" >&2; exit 1; }

args=(enroll "$1" --data-dir "$DATA_DIR")
[ $# -eq 2 ] && args+=(--server "$2")

# The token and the keys live here: readable by the kiosk user only.
install -d -m 0700 -o "$KIOSK_USER" -g "$KIOSK_USER" "$DATA_DIR"
if [ "$new_server" -eq 1 ]; then
  # Only root may point a kiosk at another server; the files stay the kiosk user's.
  "$KIOSK_BIN" "${args[@]}" --new-server </dev/null
  chown -R "$KIOSK_USER:$KIOSK_USER" "$DATA_DIR"
else
  runuser -u "$KIOSK_USER" -- "$KIOSK_BIN" "${args[@]}" </dev/null
fi
runuser -u "$KIOSK_USER" -- "$KIOSK_BIN" status --data-dir "$DATA_DIR" --json
if [ -d /run/systemd/system ]; then
  systemctl restart shopfloor-kiosk.service
fi
