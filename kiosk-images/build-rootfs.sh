#!/usr/bin/env bash
# Builds the root filesystem of a Debian 12 kiosk that boots into the Shopfloor kiosk:
# systemd, cage on tty1 running `shopfloor-kiosk run --fullscreen` as the user `kiosk`,
# pcscd, espeak-ng, fonts-wqy-microhei, and the program in /opt/shopfloor/venv. Locked
# down: root locked, no getty beside the kiosk, cage without VT switching; a `technician`
# account (sudo) reached by SSH key or by a console password (README.md).
#
#   sudo kiosk-images/build-rootfs.sh OUT_DIR [--no-kernel] [--technician-ssh-key FILE]
#                                     [--technician-password-hash HASH]
#
# OUT_DIR must not exist. --no-kernel leaves out linux-image-amd64 and GRUB (a chroot
# needs neither); with them, build-disk.sh makes a bootable disk of OUT_DIR.
# --technician-ssh-key: an authorized_keys file (the fleet's public keys) for `technician`
# over SSH (password logins are off). --technician-password-hash: a crypt(3) hash (from
# `openssl passwd -6`) for the technician console; without it the account has no password.
# Downloaded packages and wheels are kept in ${KIOSK_IMAGE_CACHE:-.cache/kiosk-image}.
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

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
fail() { echo "error: $*" >&2; exit 1; }
step() { printf '==> %s (%ss)\n' "$*" "$SECONDS"; }

kernel=yes
out=""
ssh_keys=""
password_hash=""
args=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --no-kernel) kernel=no ;;
    --technician-ssh-key) [ $# -ge 2 ] || { usage >&2; exit 2; }; ssh_keys=$(realpath "$2"); shift ;;
    --technician-password-hash) [ $# -ge 2 ] || { usage >&2; exit 2; }; password_hash=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [ -z "$out" ] || { usage >&2; exit 2; }; out=$1 ;;
  esac
  shift
done
set -- "${args[@]}"
[ -n "$out" ] || { usage >&2; exit 2; }
[ -z "$ssh_keys" ] || [ -s "$ssh_keys" ] || fail "no SSH keys in $ssh_keys"
case $password_hash in
  '' | '$'*'$'*) ;;
  *) fail "--technician-password-hash takes a crypt(3) hash such as \$6\$... (openssl passwd -6)" ;;
esac
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
"$PYTHON" -m pip wheel --quiet --wheel-dir "$CACHE/wheels" "${SOURCE}[kiosk]"

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
  libegl1 libgles2 libgl1-mesa-dri
  xwayland grim seatd openssh-server sudo)
# cage 0.1.4 exits at start without Xwayland (its package does not depend on it); grim
# takes screenshots of the cage output (the boot test; a technician over SSH); seatd gives
# cage the screen and input devices (shopfloor-kiosk.service says why not logind).
# GRUB's BIOS and EFI images only (no grub-pc: build-disk.sh makes and places them).
[ $kernel = yes ] && packages+=(linux-image-amd64 grub-pc-bin grub-efi-amd64-bin)
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
for unit in "$SOURCE"/provisioning/kiosk/systemd/*.service; do
  install -m 0644 "$unit" "$ROOT/etc/systemd/system/$(basename "$unit")"
done
install -m 0755 "$HERE/boot-test.sh" "$ROOT/opt/shopfloor/boot-test.sh"
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
cat >"$ROOT/etc/fstab" <<'FSTAB'
LABEL=kiosk-root / ext4 defaults,noatime 0 1
# The kiosk's data (token, keys, outbox, logs): its own partition, kept across upgrades.
LABEL=kiosk-data /var/lib/shopfloor-kiosk ext4 defaults,noatime,nofail 0 2
FSTAB
in_root systemctl enable pcscd.socket shopfloor-kiosk.service systemd-networkd.service \
  systemd-timesyncd.service seatd.service shopfloor-kiosk-enrol.service shopfloor-kiosk-console-log.service \
  shopfloor-boot-test.service ssh.service >/dev/null 2>&1

step "lockdown: root locked, the technician, no other consoles"
in_root passwd -l root >/dev/null
in_root useradd --create-home --shell /bin/bash --groups sudo technician
if [ -n "$password_hash" ]; then
  in_root usermod -p "$password_hash" technician
  echo 'technician ALL=(ALL:ALL) ALL' >"$ROOT/etc/sudoers.d/technician"
else
  # No password (SSH keys only): sudo cannot ask for one.
  in_root usermod -p '*' technician
  echo 'technician ALL=(ALL:ALL) NOPASSWD: ALL' >"$ROOT/etc/sudoers.d/technician"
fi
chmod 0440 "$ROOT/etc/sudoers.d/technician"
if [ -n "$ssh_keys" ]; then
  install -d -m 0700 "$ROOT/home/technician/.ssh"
  install -m 0600 "$ssh_keys" "$ROOT/home/technician/.ssh/authorized_keys"
  in_root chown -R technician:technician /home/technician/.ssh
fi
install -d "$ROOT/etc/ssh/sshd_config.d"
cat >"$ROOT/etc/ssh/sshd_config.d/shopfloor.conf" <<'SSHD'
# The kiosk image: the technician only, by key only.
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowUsers technician
SSHD
# Each kiosk makes its own host keys at first boot, not one set for the whole fleet.
rm -f "$ROOT"/etc/ssh/ssh_host_*
install -d "$ROOT/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  >"$ROOT/etc/systemd/system/ssh.service.d/host-keys.conf"
# No text console beside the kiosk: no getty on tty2..6 or the serial port, none made on
# demand (autovt@), no Ctrl+Alt+Del reboot, no magic SysRq. The technician console is
# GRUB's second entry (a getty on tty1 instead of the kiosk; build-disk.sh).
for tty in tty2 tty3 tty4 tty5 tty6; do
  ln -sf /dev/null "$ROOT/etc/systemd/system/getty@$tty.service"
done
ln -sf /dev/null "$ROOT/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$ROOT/etc/systemd/system/autovt@.service"
ln -sf /dev/null "$ROOT/etc/systemd/system/ctrl-alt-del.target"
install -d "$ROOT/etc/systemd/logind.conf.d"
printf '[Login]\nNAutoVTs=0\nReserveVT=0\n' >"$ROOT/etc/systemd/logind.conf.d/shopfloor-kiosk.conf"
echo 'kernel.sysrq = 0' >"$ROOT/etc/sysctl.d/50-shopfloor-kiosk.conf"
in_root systemctl set-default graphical.target >/dev/null 2>&1
cat >"$ROOT/etc/shopfloor-image" <<EOF
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
suite=$SUITE
kernel=$kernel
source=$(git -C "$SOURCE" describe --always --dirty 2>/dev/null || echo unknown)
EOF

step "tidy"
# Each kiosk makes its own machine id at first boot (journal, DHCP client id).
: >"$ROOT/etc/machine-id"
# Unmount first: the package and wheel caches are bind-mounted from the host.
unmount_all
in_root apt-get clean
rmdir "$ROOT/tmp/wheels"
rm -f "$ROOT/usr/sbin/policy-rc.d"
rm -rf "$ROOT/var/lib/apt/lists/"*
step "done: $ROOT"
