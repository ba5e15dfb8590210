#!/usr/bin/env bash
# Enrols this kiosk with the server, then (re)starts the kiosk screen. Run as root:
#
#   sudo /opt/shopfloor/enroll.sh CODE [SERVER_URL]
#
# CODE is the whole enrolment code (SFK1:...) from `shopfloor-server kiosk add NAME
# --workshop W` (or the admin pages): it names the server and its certificate, which the
# kiosk pins. SERVER_URL (https://HOST:PORT) is where to look first; without it the kiosk
# finds the server by mDNS.
set -euo pipefail

KIOSK_BIN=${KIOSK_BIN:-/opt/shopfloor/venv/bin/shopfloor-kiosk}
DATA_DIR=${KIOSK_DATA_DIR:-/var/lib/shopfloor-kiosk}
KIOSK_USER=${KIOSK_USER:-kiosk}

usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage >&2; exit 2; fi
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo $0 ...)" >&2; exit 1; }

args=(enroll "$1" --data-dir "$DATA_DIR")
[ $# -eq 2 ] && args+=(--server "$2")

install -d -m 0750 -o "$KIOSK_USER" -g "$KIOSK_USER" "$DATA_DIR"
runuser -u "$KIOSK_USER" -- "$KIOSK_BIN" "${args[@]}" </dev/null
runuser -u "$KIOSK_USER" -- "$KIOSK_BIN" status --data-dir "$DATA_DIR" --json
if [ -d /run/systemd/system ]; then
  systemctl restart shopfloor-kiosk.service
fi
