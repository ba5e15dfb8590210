#!/usr/bin/env bash
# Installs or upgrades the Shopfloor server on Debian 12. Run as root from a checkout:
#
#   sudo provisioning/server/install.sh [--postgresql] [--nginx]
#
# Safe to run again (an upgrade is the same command): it keeps the settings file, the
# data folder and the database, and only adds what is missing.
#
#   user        shopfloor (system user, no login)
#   program     /opt/shopfloor/venv (a Python venv with this checkout installed)
#   data        /var/lib/shopfloor (SQLite database, photos, uploads)
#   settings    /etc/shopfloor/shopfloor.env (SHOPFLOOR_* variables, secrets generated here)
#   backups     /var/backups/shopfloor (nightly, by shopfloor-backup.timer)
#
# --postgresql  also install Debian's PostgreSQL client tools, which backups of a
#               PostgreSQL database need (pg_dump/pg_restore of the server's version)
# --nginx       also install nginx and put the reverse-proxy example in place (disabled
#               until you give it a certificate; see README.md)
set -euo pipefail

PREFIX=/opt/shopfloor
VENV=$PREFIX/venv
DATA_DIR=/var/lib/shopfloor
CONF_DIR=/etc/shopfloor
ENV_FILE=$CONF_DIR/shopfloor.env
BACKUP_DIR=/var/backups/shopfloor
UNIT_DIR=/etc/systemd/system
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$SOURCE/provisioning/server

with_postgresql=no
with_nginx=no
for arg in "$@"; do
  case $arg in
    --postgresql) with_postgresql=yes ;;
    --nginx) with_nginx=yes ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo $0)" >&2; exit 1; }
[ -f "$SOURCE/pyproject.toml" ] || { echo "error: $SOURCE is not a Shopfloor checkout" >&2; exit 1; }

step() { printf '==> %s\n' "$*"; }

step "Debian packages"
packages=(python3 python3-venv python3-dev gcc libpcsclite-dev fonts-wqy-microhei openssl)
[ $with_postgresql = yes ] && packages+=(postgresql-client)
[ $with_nginx = yes ] && packages+=(nginx)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"

step "user shopfloor"
if ! id -u shopfloor >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
    --shell /usr/sbin/nologin --comment "Shopfloor Kiosk server" shopfloor
fi
install -d -m 0750 -o shopfloor -g shopfloor "$DATA_DIR" "$BACKUP_DIR"
install -d -m 0750 -o root -g shopfloor "$CONF_DIR"

step "settings $ENV_FILE"
if [ ! -f "$ENV_FILE" ]; then
  zone=$(cat /etc/timezone 2>/dev/null || echo UTC)
  proxy_addresses=
  if [ $with_nginx = yes ]; then proxy_addresses=127.0.0.1; fi
  (umask 077; : >"$ENV_FILE")
  cat >"$ENV_FILE" <<EOF
# Shopfloor server settings (read by shopfloor-server.service and shopfloor-backup.service).
# Made by install.sh on $(date -u +%Y-%m-%d); install.sh never overwrites this file.
SHOPFLOOR_DATA_DIR=$DATA_DIR
# Signs web sessions. Keep it secret; changing it logs everyone out.
SHOPFLOOR_SECRET_KEY=$(openssl rand -base64 48 | tr -d '\n')
SHOPFLOOR_TIMEZONE=$zone
# The server serves HTTPS with a certificate it makes in SHOPFLOOR_DATA_DIR/tls; kiosks
# pin it. Wall displays get plain HTTP on SHOPFLOOR_WALL_PORT (/wall and health only).
# nginx (--nginx) may stand in front for browsers. SHOPFLOOR_HTTP=1 serves plain HTTP
# instead, for a TLS-terminating proxy only; kiosks cannot use the server then.
SHOPFLOOR_HOST=0.0.0.0
# With nginx in front (--nginx): 1, and nginx's address, so the server believes its
# X-Forwarded-* headers (client address, https) from nginx and from no one else. 0 and
# empty when browsers reach the server directly.
SHOPFLOOR_TRUSTED_PROXIES=$([ $with_nginx = yes ] && echo 1 || echo 0)
SHOPFLOOR_TRUSTED_PROXY_ADDRESSES=$proxy_addresses
SHOPFLOOR_PORT=8750
SHOPFLOOR_WALL_PORT=8751
SHOPFLOOR_WORKERS=2
# Unset = SQLite in SHOPFLOOR_DATA_DIR. For PostgreSQL (see README.md), for example:
# SHOPFLOOR_DATABASE_URL=postgresql+psycopg://shopfloor@/shopfloor?host=/var/run/postgresql
# Interfaces the server is announced on by mDNS (comma-separated addresses; unset = all).
# SHOPFLOOR_MDNS_INTERFACES=
SHOPFLOOR_BACKUP_DIR=$BACKUP_DIR
SHOPFLOOR_BACKUP_KEEP_DAYS=14
# Set (12 characters or more) and the nightly backups are encrypted with it; keep a copy
# away from this machine: without it no such backup can be restored.
# SHOPFLOOR_BACKUP_PASSPHRASE=
EOF
  chown root:shopfloor "$ENV_FILE"
  chmod 0640 "$ENV_FILE"
elif grep -q '^SHOPFLOOR_TRUSTED_PROXIES=[1-9]' "$ENV_FILE" \
    && ! grep -q '^SHOPFLOOR_TRUSTED_PROXY_ADDRESSES=' "$ENV_FILE"; then
  # Settings from before proxies were trusted by address: the proxy is this host's nginx.
  printf '%s\n' "# nginx's address: X-Forwarded-* is believed from it only." \
    "SHOPFLOOR_TRUSTED_PROXY_ADDRESSES=127.0.0.1" >>"$ENV_FILE"
fi

step "program $VENV"
install -d -m 0755 "$PREFIX"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "${SOURCE}[server,postgresql]"
install -m 0644 "$SOURCE/README.md" "$PREFIX/README.md"

step "database"
# `init` creates or upgrades the schema; on a new site it writes the first admin's
# generated password to $DATA_DIR/first-admin-password (mode 0600), never to the output.
# shellcheck disable=SC2016  # $1 and $2 expand in the inner shell
runuser -u shopfloor -- bash -c 'set -a; . "$1"; exec "$2" init' _ "$ENV_FILE" \
  "$VENV/bin/shopfloor-server"

step "systemd units"
install -m 0644 "$HERE/systemd/shopfloor-server.service" "$HERE/systemd/shopfloor-backup.service" \
  "$HERE/systemd/shopfloor-backup.timer" "$UNIT_DIR/"
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable shopfloor-server.service shopfloor-backup.timer
  systemctl restart shopfloor-server.service
  systemctl start shopfloor-backup.timer
else
  echo "systemd is not running here: start the server with 'systemctl enable --now shopfloor-server shopfloor-backup.timer' once it is"
fi

if [ $with_nginx = yes ]; then
  step "nginx example"
  install -m 0644 "$HERE/nginx/shopfloor.conf" /etc/nginx/sites-available/shopfloor
  echo "nginx: put a certificate in $CONF_DIR/tls/ and enable the site (README.md, 'TLS')"
fi

step "done: the server serves HTTPS on port 8750 (kiosks) and the wall on http port 8751; see README.md"
