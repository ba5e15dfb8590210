#!/usr/bin/env bash
# Runs a command inside a built kiosk root filesystem, with /proc, /sys and /dev mounted
# in a private mount namespace that ends with the command (nothing stays mounted):
#
#   sudo kiosk-images/chroot-run.sh ROOT COMMAND [ARG...]
#   sudo kiosk-images/chroot-run.sh build/kiosk-rootfs /opt/shopfloor/venv/bin/python /opt/shopfloor/selfcheck.py
set -euo pipefail

usage() { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
[ $# -ge 2 ] || { usage >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (chroot needs it)" >&2; exit 1; }
root=$(realpath "$1")
shift
[ -x "$root/usr/bin/env" ] || { echo "error: $root is not a root filesystem" >&2; exit 1; }

# shellcheck disable=SC2016  # expanded by the inner shell
exec unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  root=$1; shift
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --bind /dev "$root/dev"
  mount -t tmpfs tmpfs "$root/tmp"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"
' _ "$root" "$@"
