#!/usr/bin/env bash
# Builds the root filesystem of a Debian 12 kiosk that boots into the Shopfloor kiosk:
# systemd, cage on tty1 running `shopfloor-kiosk run --fullscreen` as the user `kiosk`,
# pcscd, espeak-ng, fonts-wqy-microhei, and the program in /opt/shopfloor/venv.
#
#   sudo kiosk-images/build-rootfs.sh OUT_DIR [--no-kernel]
#
# OUT_DIR must not exist. --no-kernel leaves out linux-image-amd64 (the tests do: a
# chroot needs no kernel). Downloaded packages and wheels are kept in
# ${KIOSK_IMAGE_CACHE:-.cache/kiosk-image} so a second build is quicker.
# Environment: PYTHON (a Python 3.11 that builds the wheels; Debian 12's is 3.11),
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
#
# All mounts happen in a private mount namespace of this script and are unmounted on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE=$(cd "$HERE/.." && pwd)
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=$(realpath -m "${KIOSK_IMAGE_CACHE:-$SOURCE/.cache/kiosk-image}")
PYTHON=${PYTHON:-python3}

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
fail() { echo "error: $*" >&2; exit 1; }
step() { printf '==> %s (%ss)\n' "$*" "$SECONDS"; }

kernel=yes
out=""
for arg in "$@"; do
  case $arg in
    --no-kernel) kernel=no ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [ -z "$out" ] || { usage >&2; exit 2; }; out=$arg ;;
  esac
done
[ -n "$out" ] || { usage >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || fail "run as root: debootstrap and chroot need it"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"

# Re-run inside a private mount namespace: whatever happens, no mount outlives the build.
if [ "${KIOSK_IMAGE_NAMESPACE:-}" != "$$" ]; then
  export KIOSK_IMAGE_NAMESPACE=$$
  exec unshare --mount --propagation private -- bash "$0" "$@"
fi

ROOT=$(realpath -m "$out")
[ ! -e "$ROOT" ] || fail "$ROOT already exists: remove it or choose another folder"
mkdir -p "$CACHE/debs" "$CACHE/wheels" "$(dirname "$ROOT")"

mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -l "${mounts[$i]}" 2>/dev/null || true
  done
  mounts=()
}
trap unmount_all EXIT
mount_in_root() {  # mount_in_root TARGET MOUNT-ARGS...
  local target=$ROOT$1
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounts+=("$target")
}
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

step "wheels for the kiosk program (the kiosk extra: no Flask)"
"$PYTHON" -m pip wheel --quiet --wheel-dir "$CACHE/wheels" "$SOURCE[kiosk]"

step "debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --cache-dir="$CACHE/debs" "$SUITE" "$ROOT" "$MIRROR" \
  >"$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; fail "debootstrap failed"; }

mount_in_root /proc -t proc proc
mount_in_root /sys -t sysfs sysfs
mount_in_root /dev --bind /dev
mount_in_root /dev/pts --bind /dev/pts
mount_in_root /var/cache/apt/archives --bind "$CACHE/debs"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# No service starts inside the build.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"

cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -f "$ROOT/etc/apt/sources.list"

step "Debian packages"
packages=(systemd-sysv dbus libpam-systemd udev systemd-timesyncd ca-certificates
  cage pcscd libccid libpcsclite1 fonts-wqy-microhei espeak-ng libespeak-ng1
  python3 python3-venv libwayland-client0 libwayland-cursor0 libwayland-egl1 libxkbcommon0
  libegl1 libgles2 libgl1-mesa-dri)
[ $kernel = yes ] && packages+=(linux-image-amd64)
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >"$CACHE/apt.log" 2>&1 \
  || { tail -20 "$CACHE/apt.log" >&2; fail "apt-get install failed"; }

step "the kiosk program in /opt/shopfloor/venv"
in_root python3 -m venv /opt/shopfloor/venv
mount_in_root /tmp/wheels --bind "$CACHE/wheels"
in_root /opt/shopfloor/venv/bin/pip install --quiet --no-index --find-links /tmp/wheels \
  "shopfloor-kiosk[kiosk]"
install -m 0755 "$SOURCE/provisioning/kiosk/enroll.sh" "$ROOT/opt/shopfloor/enroll.sh"
install -m 0644 "$HERE/selfcheck.py" "$ROOT/opt/shopfloor/selfcheck.py"
install -m 0644 "$SOURCE/README.md" "$ROOT/opt/shopfloor/README.md"

step "user, units and settings"
# input: the kiosk grabs keyboard-wedge card readers through evdev; Debian's udev gives
# /dev/input/event* to the group input (0660), so no rule of our own (the fleet playbook
# gives the user the same groups; selfcheck.py checks both facts inside the image).
in_root useradd --system --user-group --home-dir /var/lib/shopfloor-kiosk --create-home \
  --shell /usr/sbin/nologin --groups video,render,input,audio kiosk
chmod 0700 "$ROOT/var/lib/shopfloor-kiosk"  # the token and the keys: the kiosk user only
install -m 0644 "$SOURCE/provisioning/kiosk/systemd/shopfloor-kiosk.service" \
  "$ROOT/etc/systemd/system/shopfloor-kiosk.service"
install -m 0644 "$SOURCE/provisioning/kiosk/pam-shopfloor-kiosk" "$ROOT/etc/pam.d/shopfloor-kiosk"
install -d "$ROOT/etc/systemd/network"
cat >"$ROOT/etc/systemd/network/20-wired.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
echo shopfloor-kiosk >"$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tshopfloor-kiosk\n' >"$ROOT/etc/hosts"
echo 'LABEL=kiosk-root / ext4 defaults,noatime 0 1' >"$ROOT/etc/fstab"
in_root systemctl enable pcscd.socket shopfloor-kiosk.service systemd-networkd.service \
  systemd-timesyncd.service >/dev/null 2>&1
in_root systemctl set-default graphical.target >/dev/null 2>&1
cat >"$ROOT/etc/shopfloor-image" <<EOF
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
suite=$SUITE
kernel=$kernel
source=$(git -C "$SOURCE" describe --always --dirty 2>/dev/null || echo unknown)
EOF

step "tidy"
# Unmount first: the package and wheel caches are bind-mounted from the host.
unmount_all
in_root apt-get clean
rmdir "$ROOT/tmp/wheels"
rm -f "$ROOT/usr/sbin/policy-rc.d"
rm -rf "$ROOT/var/lib/apt/lists/"*
step "done: $ROOT"
