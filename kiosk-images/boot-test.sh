#!/usr/bin/env bash
# The guest's half of the disk image's boot test (tests/image/image_kiosk_boot.py), run by
# shopfloor-boot-test.service only when the test put boot-test/run on the data partition.
# That file names the kiosk scene to wait for (enroll, idle). Then: a screenshot of the cage
# output by grim, as the kiosk user, into boot-test/SCENE.png; the lockdown facts as
# `BOOT-TEST fact NAME VALUE` lines (on the serial console through
# shopfloor-kiosk-console-log.service, and in boot-test/facts.txt); power off.
set -uo pipefail

DATA=/var/lib/shopfloor-kiosk
DIR=$DATA/boot-test
TIMEOUT_S=${BOOT_TEST_TIMEOUT_S:-240}
scene=$(tr -dc 'a-z_' <"$DIR/run")
rm -f "$DIR/run"  # one run per marker: a later boot without the test keeps its kiosk
say() { echo "BOOT-TEST $*"; echo "$*" >>"$DIR/facts.txt"; }
: >"$DIR/facts.txt"
say "waiting for scene $scene"

kiosk_log() { journalctl --boot --output=cat --unit=shopfloor-kiosk.service; }
shown=no
if grep -q -m 1 "\"event\": *\"scene_changed\".*\"scene\": *\"$scene\"" < <(
    timeout "$TIMEOUT_S" journalctl --boot --follow --output=cat --unit=shopfloor-kiosk.service); then
  shown=yes
fi
say "fact scene_shown $shown"
if [ $shown = no ]; then  # what went wrong, for the test's failure message
  systemctl status --no-pager --lines=0 shopfloor-kiosk.service seatd.service | sed 's/^/BOOT-TEST status /'
  journalctl --boot --priority=warning --lines=40 --no-pager | sed 's/^/BOOT-TEST journal /'
fi

runtime=/run/shopfloor-kiosk  # cage's XDG_RUNTIME_DIR (shopfloor-kiosk.service)
socket=""
for _ in $(seq 30); do
  socket=$(find "$runtime" -maxdepth 1 -name 'wayland-*' -type s -printf '%f\n' 2>/dev/null | head -1)
  [ -n "$socket" ] && break
  sleep 1
done
say "fact wayland_display ${socket:-none}"
# A few frames after the scene's first: the kiosk draws it at once, cage shows it next.
sleep 3
if [ -n "$socket" ] && runuser -u kiosk -- env XDG_RUNTIME_DIR="$runtime" \
    WAYLAND_DISPLAY="$socket" grim -t png - >"$DIR/$scene.png.part" 2>"$DIR/grim.err"; then
  mv "$DIR/$scene.png.part" "$DIR/$scene.png"
  say "fact screenshot $scene.png $(stat -c %s "$DIR/$scene.png")"
else
  say "fact screenshot failed $(head -c 300 "$DIR/grim.err" | tr '\n' ' ')"
fi

say "fact root_password $(passwd -S root | awk '{print $2}')"
say "fact getty_tty2 $(systemctl is-enabled getty@tty2.service 2>&1)"
say "fact autovt_tty3 $(systemctl is-enabled autovt@tty3.service 2>&1)"
say "fact serial_getty $(systemctl is-enabled serial-getty@ttyS0.service 2>&1)"
say "fact kiosk_exec $(systemctl show -P ExecStart shopfloor-kiosk.service | grep -o 'argv\[\]=[^;]*' | head -1)"
say "fact technician $(getent passwd technician | cut -d: -f1,6,7) groups=$(id -nG technician | tr ' ' ,)"
say "fact sshd_password_auth $(sshd -T 2>/dev/null | awk '$1 == "passwordauthentication" {print $2}')"
say "fact data_mount $(findmnt -n -o SOURCE,FSTYPE --target $DATA | tr ' ' ,)"
say "fact video_driver $(kiosk_log | grep -o '"driver": *"[a-z0-9_]*"' | tail -1 | tr -d ' "')"
say "done"
sync
systemctl --no-block poweroff
