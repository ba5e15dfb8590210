#!/usr/bin/env bash
# Makes a bootable raw disk image of a kiosk root filesystem folder (build-rootfs.sh with the
# kernel, the default), and a compressed copy beside it:
#
#   sudo kiosk-images/build-disk.sh ROOTFS_DIR OUT.img [--compress xz|zstd|none]
#                                   [--root-size MiB] [--data-size MiB]
#
# GPT, four partitions: 1 bios_grub (1 MiB: GRUB's core for BIOS boot), 2 the EFI system
# partition (FAT, 64 MiB: \EFI\BOOT\BOOTX64.EFI, the removable path any UEFI firmware
# boots), 3 ext4 `kiosk-root` (/), 4 ext4 `kiosk-data` (/var/lib/shopfloor-kiosk: the
# token, the keys, the outbox and the logs; an upgrade rewrites partitions 1-3 only).
# --root-size: default the folder's size plus a third and 256 MiB; --data-size: default 1024.
# --compress: OUT.img.xz (default: every image writer takes it), OUT.img.zst, or none.
# Writes /boot/grub (menu and modules) into ROOTFS_DIR. No mount and no loop device: the
# file systems are made straight from folders (mkfs.ext4 -d, mtools), GRUB's images by the
# root filesystem's own grub-mkimage (through chroot).
set -euo pipefail

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
fail() { echo "error: $*" >&2; exit 1; }
step() { printf '==> %s (%ss)\n' "$*" "$SECONDS"; }

compress=xz
root_mib=""
data_mib=1024
positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --compress) [ $# -ge 2 ] || { usage >&2; exit 2; }; compress=$2; shift ;;
    --root-size) [ $# -ge 2 ] || { usage >&2; exit 2; }; root_mib=$2; shift ;;
    --data-size) [ $# -ge 2 ] || { usage >&2; exit 2; }; data_mib=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
[ ${#positional[@]} -eq 2 ] || { usage >&2; exit 2; }
case $compress in xz|zstd|none) ;; *) fail "--compress takes xz, zstd or none" ;; esac
[ "$(id -u)" -eq 0 ] || fail "run as root: the files keep their owners, and chroot needs it"
for tool in sgdisk mkfs.ext4 mkfs.vfat mcopy; do
  command -v $tool >/dev/null || fail "$tool is missing (scripts/packages/image.txt)"
done
ROOT=$(realpath "${positional[0]}")
OUT=$(realpath -m "${positional[1]}")
if [ ! -e "$ROOT/vmlinuz" ] || [ ! -e "$ROOT/initrd.img" ]; then
  fail "$ROOT has no kernel: build it without --no-kernel"
fi
if [ ! -d "$ROOT/usr/lib/grub/i386-pc" ] || [ ! -d "$ROOT/usr/lib/grub/x86_64-efi" ]; then
  fail "$ROOT has no GRUB images (grub-pc-bin, grub-efi-amd64-bin)"
fi

work=$(mktemp -d "$(dirname "$OUT")/.build-disk.XXXXXX")
trap 'rm -rf "$work"; rm -rf "$ROOT/tmp/grub-images"' EXIT

step "GRUB: menu and modules in /boot/grub, BIOS and EFI images"
mkdir -p "$ROOT/boot/grub"
rm -rf "$ROOT/boot/grub/i386-pc" "$ROOT/boot/grub/x86_64-efi"
cp -r "$ROOT/usr/lib/grub/i386-pc" "$ROOT/usr/lib/grub/x86_64-efi" "$ROOT/boot/grub/"
# Cmdline: the screen gets no boot text (quiet, and systemd's console is the serial port,
# the last console=), the serial port gets the kiosk's log (shopfloor-kiosk-console-log).
# superusers set and empty: nobody edits an entry or opens GRUB's command line at the
# keyboard (init=/bin/sh would be a root shell); --unrestricted entries still boot.
cat >"$ROOT/boot/grub/grub.cfg" <<'GRUBCFG'
# The kiosk disk's boot menu (kiosk-images/build-disk.sh writes it; not grub-mkconfig).
set superusers=""
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set default=0
set timeout=1
menuentry 'Shopfloor kiosk' --id kiosk --unrestricted {
  linux /vmlinuz root=LABEL=kiosk-root ro quiet console=tty1 console=ttyS0,115200n8
  initrd /initrd.img
}
menuentry 'Technician console (no kiosk; log in as technician)' --id technician --unrestricted {
  linux /vmlinuz root=LABEL=kiosk-root ro console=ttyS0,115200n8 console=tty1 systemd.unit=multi-user.target systemd.mask=shopfloor-kiosk.service
  initrd /initrd.img
}
GRUBCFG
mkdir -p "$ROOT/tmp/grub-images"
cat >"$ROOT/tmp/grub-images/early.cfg" <<'EARLY'
search --no-floppy --label kiosk-root --set=root
set prefix=($root)/boot/grub
EARLY
core_modules=(part_gpt ext2 search search_label normal configfile linux echo test)
chroot "$ROOT" /usr/bin/grub-mkimage -O i386-pc -o /tmp/grub-images/core.img \
  -c /tmp/grub-images/early.cfg -p /boot/grub biosdisk "${core_modules[@]}"
chroot "$ROOT" /usr/bin/grub-mkimage -O x86_64-efi -o /tmp/grub-images/BOOTX64.EFI \
  -c /tmp/grub-images/early.cfg -p /boot/grub "${core_modules[@]}" fat efi_gop efi_uga all_video \
  serial terminal gzio
cp "$ROOT/tmp/grub-images/core.img" "$ROOT/tmp/grub-images/BOOTX64.EFI" "$work/"
cp "$ROOT/usr/lib/grub/i386-pc/boot.img" "$work/"
rm -rf "$ROOT/tmp/grub-images"

step "partition sizes"
used_mib=$(du -sx --block-size=1M "$ROOT" | cut -f1)
[ -n "$root_mib" ] || root_mib=$((used_mib * 4 / 3 + 256))
esp_mib=64
# MiB boundaries: 1 MiB for the GPT, then bios_grub, ESP, root, data, and 1 MiB at the end
# for the backup GPT.
p1=1; p2=$((p1 + 1)); p3=$((p2 + esp_mib)); p4=$((p3 + root_mib)); end=$((p4 + data_mib))
total_mib=$((end + 1))
echo "root ${used_mib} MiB used of ${root_mib}; data ${data_mib}; disk ${total_mib} MiB"
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
[ "$core_sectors" -le 2048 ] || fail "GRUB's core image is larger than its partition"

step "GPT"
rm -f "$OUT"
truncate -s "${total_mib}M" "$OUT"
s() { echo $(($1 * 2048)); }  # MiB -> 512-byte sectors
sgdisk --clear \
  -n "1:$(s $p1):$(($(s $p2) - 1))" -t 1:EF02 -c 1:bios-grub \
  -n "2:$(s $p2):$(($(s $p3) - 1))" -t 2:EF00 -c 2:EFI \
  -n "3:$(s $p3):$(($(s $p4) - 1))" -t 3:8304 -c 3:kiosk-root \
  -n "4:$(s $p4):$(($(s $end) - 1))" -t 4:8300 -c 4:kiosk-data \
  "$OUT" >/dev/null

step "EFI system partition"
mkfs.vfat -C -F 32 -n KIOSK-EFI "$work/esp.img" $((esp_mib * 1024)) >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
dd if="$work/esp.img" of="$OUT" bs=1M seek=$p2 conv=notrunc,sparse status=none

step "root file system (ext4 kiosk-root, from the folder)"
mkfs.ext4 -q -F -L kiosk-root -E "offset=$((p3 * 1024 * 1024)),nodiscard" -d "$ROOT" "$OUT" "${root_mib}M"

step "data partition (ext4 kiosk-data, the kiosk user's)"
kiosk_ids=$(awk -F: '$1 == "kiosk" {print $3 ":" $4}' "$ROOT/etc/passwd")
[ -n "$kiosk_ids" ] || fail "$ROOT has no user kiosk"
mkfs.ext4 -q -F -L kiosk-data -E "offset=$((p4 * 1024 * 1024)),nodiscard,root_owner=$kiosk_ids" \
  "$OUT" "${data_mib}M"

step "BIOS boot: GRUB's boot sector and core (what grub-bios-setup writes)"
# boot.img's code goes into the protective MBR, keeping its partition table (from 440 on);
# it loads the first sector of core.img from the bios_grub partition (the 64-bit LBA at
# 0x5c), and that sector (diskboot) loads the rest: its block list at 0x1f4 (start LBA,
# sector count). 0x66: skip the floppy check (a hard disk), as grub-bios-setup does.
core_lba=$(s $p1)
python3 - "$work/boot.img" "$work/core.img" "$core_lba" "$core_sectors" <<'PATCH'
import struct, sys
boot, core, lba, sectors = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(boot, "r+b") as f:
    data = bytearray(f.read())
    data[0x5C:0x64] = struct.pack("<Q", lba)
    data[0x66:0x68] = b"\x90\x90"
    f.seek(0); f.write(data)
with open(core, "r+b") as f:
    data = bytearray(f.read())
    data[0x1F4:0x1FE] = struct.pack("<QH", lba + 1, sectors - 1)
    f.seek(0); f.write(data)
PATCH
dd if="$work/boot.img" of="$OUT" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$OUT" bs=512 seek="$core_lba" conv=notrunc status=none
sgdisk --verify "$OUT" >/dev/null || fail "the partition table does not verify"

case $compress in
  xz) step "compressed copy: $OUT.xz"; rm -f "$OUT.xz"; xz -T0 -0 -k -f "$OUT" ;;
  zstd) step "compressed copy: $OUT.zst"; rm -f "$OUT.zst"; zstd -q -T0 -3 -f "$OUT" -o "$OUT.zst" ;;
  none) ;;
esac
step "done: $OUT ($(du -h --apparent-size "$OUT" | cut -f1), $(du -h "$OUT" | cut -f1) written)"
