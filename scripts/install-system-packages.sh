#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages named in the given list files (one package a line,
# '#' comments allowed). Idempotent: does nothing when every package is already there.
set -euo pipefail

packages=()
for list in "$@"; do
  while read -r line; do
    line=${line%%#*}
    for pkg in $line; do packages+=("$pkg"); done
  done <"$list"
done
[ ${#packages[@]} -gt 0 ] || exit 0

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -gt 0 ] || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: these system packages are missing and apt-get is not available: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
