#!/usr/bin/env bash
# `make run`: build the demo factory, serve it (HTTPS with the server's own certificate,
# plain HTTP for the wall on the next port), and where a display exists open a kiosk
# window enrolled to it with the enrolment code HR would scan. Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${SHOPFLOOR_VENV:-.venv}/bin
port=${SHOPFLOOR_PORT:-8750}
wall_port=${SHOPFLOOR_WALL_PORT:-$((port + 1))}
export SHOPFLOOR_DATA_DIR=${SHOPFLOOR_DATA_DIR:-var/demo}
# mDNS stays on loopback unless you say otherwise (SHOPFLOOR_MDNS_INTERFACES= for all).
export SHOPFLOOR_MDNS_INTERFACES=${SHOPFLOOR_MDNS_INTERFACES-127.0.0.1}
kiosk_dir=var/demo-kiosk

"$bin/shopfloor-server" demo --no-serve
# Beside the demo's credentials above (`run` itself never prints a secret): where to use them.
echo "  admin pages: https://127.0.0.1:$port/admin/login (the server's own certificate:" \
  "your browser asks once); API docs: https://127.0.0.1:$port/api/v1/docs"

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display here: serving the demo without a kiosk window"
  exec "$bin/shopfloor-server" run --port "$port" --wall-port "$wall_port"
fi

payload=$("$bin/shopfloor-server" kiosk add demo-kiosk --workshop W1 --json \
  | "$bin/python" -c 'import json, sys; print(json.load(sys.stdin)["payload"])')

"$bin/shopfloor-server" run --port "$port" --wall-port "$wall_port" &
server_pid=$!
kiosk_pid=""
stop() {
  [ -n "$kiosk_pid" ] && kill "$kiosk_pid" 2>/dev/null || true
  kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

for _ in $(seq 1 100); do
  if "$bin/python" -c "import httpx; httpx.get('http://127.0.0.1:$wall_port/api/v1/health', timeout=1).raise_for_status()" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

rm -rf "$kiosk_dir"
"$bin/shopfloor-kiosk" enroll "$payload" --server "https://127.0.0.1:$port" --data-dir "$kiosk_dir"
"$bin/shopfloor-kiosk" run --data-dir "$kiosk_dir" &
kiosk_pid=$!
echo "kiosk window open (workshop W1); the server runs on https://127.0.0.1:$port/" \
  "(its own certificate), wall displays on http://127.0.0.1:$wall_port/wall"
wait "$kiosk_pid" || true
