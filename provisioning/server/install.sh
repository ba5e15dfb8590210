#!/usr/bin/env bash
# Installs or upgrades the Shopfloor server on Debian 12. Run as root from a checkout, or
# with --offline from a bundle (`make bundle`) on a server without internet:
#
#   sudo provisioning/server/install.sh [--postgresql] [--nginx]
#   sudo provisioning/server/install.sh --offline BUNDLE [--postgresql] [--nginx]
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
# --offline BUNDLE  install with no network from a bundle made by `make bundle` (the .tar
#               or its unpacked folder; its install.sh is this script): Debian packages from
#               its own apt repository, the program from its wheels, the units from it.
#               Its checksums are checked before anything is changed.
# --list-packages  print the Debian packages a bundle carries (for scripts/build-bundle.sh)
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

# From a checkout pip builds the program, which may need a compiler; a bundle's wheels are
# built already.
online_packages=(python3 python3-venv python3-dev gcc libpcsclite-dev fonts-wqy-microhei openssl)
offline_packages=(python3 python3-venv fonts-wqy-microhei openssl)

with_postgresql=no
with_nginx=no
bundle=
while [ $# -gt 0 ]; do
  case $1 in
    --postgresql) with_postgresql=yes ;;
    --nginx) with_nginx=yes ;;
    --offline)
      if [ $# -lt 2 ] || [ -z "$2" ]; then
        echo "error: --offline needs a bundle (make bundle)" >&2; exit 2
      fi
      bundle=$2; shift ;;
    --offline=*) bundle=${1#--offline=} ;;
    --list-packages) printf '%s\n' "${offline_packages[@]}" postgresql-client nginx; exit 0 ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

fail() { echo "error: $*" >&2; exit 1; }
step() { printf '==> %s\n' "$*"; }

# The bundle is checked before anything else, root or not: a missing or damaged one changes
# nothing. A .tar is unpacked into a temporary folder that goes when the script ends.
if [ -n "$bundle" ]; then
  [ -e "$bundle" ] || fail "the bundle $bundle does not exist (make one with 'make bundle')"
  work=$(mktemp -d "${TMPDIR:-/var/tmp}/shopfloor-bundle.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  chmod 0755 "$work"  # apt reads the packages as its _apt user
  if [ -d "$bundle" ]; then
    SOURCE=$(cd "$bundle" && pwd)
  else
    if [ -f "$bundle.sha256" ]; then
      expected=$(cut -d' ' -f1 "$bundle.sha256")
      [ "$(sha256sum "$bundle" | cut -d' ' -f1)" = "$expected" ] \
        || fail "$bundle does not match its checksum in $bundle.sha256: copy it again"
    fi
    mkdir "$work/bundle"
    tar --extract --file "$bundle" --directory "$work/bundle" --strip-components=1 \
      --no-same-owner 2>"$work/tar.log" \
      || fail "cannot unpack $bundle ($(head -c 300 "$work/tar.log")): a damaged copy," \
        "or not a bundle from 'make bundle'"
    SOURCE=$work/bundle
  fi
  [ -f "$SOURCE/SHA256SUMS" ] \
    || fail "$bundle is not a server bundle from 'make bundle' (no SHA256SUMS)"
  if ! (cd "$SOURCE" && sha256sum --check --strict --quiet SHA256SUMS) >"$work/check.log" 2>&1
  then
    damaged=$(grep -v '^sha256sum: WARNING' "$work/check.log" | cut -d: -f1 | head -5 | xargs)
    fail "$bundle is damaged, these files do not match its SHA256SUMS: $damaged"
  fi
  unlisted=$(cd "$SOURCE" && comm -23 <(find debs wheels -type f | LC_ALL=C sort) \
    <(sed 's/^[0-9a-f]*  //' SHA256SUMS | LC_ALL=C sort) | head -5 | xargs)
  [ -z "$unlisted" ] || fail "$bundle holds files its SHA256SUMS does not list: $unlisted"
  project_wheels=("$SOURCE"/wheels/shopfloor_kiosk-*.whl)
  if [ ${#project_wheels[@]} -ne 1 ] || [ ! -f "${project_wheels[0]}" ] \
      || [ ! -f "$SOURCE/debs/Packages" ]; then
    fail "$bundle is not a server bundle from 'make bundle' (no program wheel or apt repository)"
  fi
  HERE=$SOURCE/provisioning/server
fi

[ "$(id -u)" -eq 0 ] || fail "run as root (sudo $0)"
[ -n "$bundle" ] || [ -f "$SOURCE/pyproject.toml" ] || fail "$SOURCE is not a Shopfloor checkout"

export DEBIAN_FRONTEND=noninteractive
if [ -n "$bundle" ]; then
  step "Debian packages (from the bundle)"
  packages=("${offline_packages[@]}")
  # apt with the bundle's repository as its only source, and lists and caches of its own:
  # this system's sources and package lists are left as they are. The bundle's checksums
  # are checked above; its Release date is not (a server's clock may be wrong), and root
  # reads it (an unpacked bundle may be in a folder apt's _apt user cannot read).
  mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/parts"
  ln -s "$SOURCE/debs" "$work/apt/repository"
  echo "deb [trusted=yes] file:$work/apt/repository ./" >"$work/apt/sources.list"
  apt_options=(-o "Dir::Etc::SourceList=$work/apt/sources.list"
    -o "Dir::Etc::SourceParts=$work/apt/parts" -o "Dir::State::Lists=$work/apt/lists"
    -o "Dir::Cache=$work/apt/cache" -o "Acquire::Check-Date=false"
    -o "Acquire::Check-Valid-Until=false" -o "APT::Sandbox::User=root")
else
  step "Debian packages"
  packages=("${online_packages[@]}")
  apt_options=()
fi
[ $with_postgresql = yes ] && packages+=(postgresql-client)
[ $with_nginx = yes ] && packages+=(nginx)
apt-get "${apt_options[@]}" update -qq
apt-get "${apt_options[@]}" install -y -qq --no-install-recommends "${packages[@]}"

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
if [ -n "$bundle" ]; then
  offline=(--no-index --find-links "$SOURCE/wheels")
  "$VENV/bin/python" -m pip install -q "${offline[@]}" --upgrade pip
  # The same version again is a new build too: reinstall it, then bring its dependencies to
  # the bundle's versions.
  "$VENV/bin/python" -m pip install -q "${offline[@]}" --force-reinstall --no-deps \
    "${project_wheels[0]}"
  "$VENV/bin/python" -m pip install -q "${offline[@]}" --upgrade \
    "${project_wheels[0]}[server,postgresql]"
else
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q "${SOURCE}[server,postgresql]"
fi
install -m 0644 "$SOURCE/README.md" "$PREFIX/README.md"

step "database"
# `init` creates or upgrades the schema; on a new site it writes the first admin's
# generated password to $DATA_DIR/first-admin-password (mode 0600), never to the output.
# shellcheck disable=SC2016  # $1 and $2 expand in the inner shell
runuser -u shopfloor -- bash -c 'set -a; . "$1"; exec "$2" init' _ "$ENV_FILE" \
  "$VENV/bin/shopfloor-server"

step "systemd units"
install -m 0644 "$HERE/systemd/shopfloor-server.service" "$HERE/systemd/shopfloor-backup.service" \
  "$HERE/systemd/shopfloor-backup.timer" "$HERE/systemd/shopfloor-retention.service" \
  "$HERE/systemd/shopfloor-retention.timer" "$UNIT_DIR/"
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable shopfloor-server.service shopfloor-backup.timer shopfloor-retention.timer
  systemctl restart shopfloor-server.service
  systemctl start shopfloor-backup.timer shopfloor-retention.timer
else
  echo "systemd is not running here: start the server with 'systemctl enable --now" \
    "shopfloor-server shopfloor-backup.timer shopfloor-retention.timer' once it is"
fi

if [ $with_nginx = yes ]; then
  step "nginx example"
  install -m 0644 "$HERE/nginx/shopfloor.conf" /etc/nginx/sites-available/shopfloor
  echo "nginx: put a certificate in $CONF_DIR/tls/ and enable the site (README.md, 'TLS')"
fi

step "done: the server serves HTTPS on port 8750 (kiosks) and the wall on http port 8751; see README.md"
