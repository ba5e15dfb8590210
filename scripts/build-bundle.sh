#!/usr/bin/env bash
# Builds the offline server bundle (`make bundle`): one archive a factory server with no
# internet installs from with `sudo provisioning/server/install.sh --offline BUNDLE`.
#
#   scripts/build-bundle.sh [OUT_DIR]         (default build/; no root needed)
#
# OUT_DIR/shopfloor-server-bundle-VERSION.tar (and a .sha256 beside it) holds, under
# shopfloor-server-bundle-VERSION/:
#   wheels/      the server and every Python dependency ('.[server,postgresql]' and pip),
#                built here for Debian 12's Python 3.11 on x86_64
#   debs/        the Debian 12 packages install.sh installs (with --postgresql and --nginx
#                too) and all their dependencies, resolved against an empty system so a
#                minimal Debian 12 (debootstrap minbase) can install them; a flat apt
#                repository (Packages, Release)
#   install.sh, provisioning/server/ (units, nginx example), README.md
#   MANIFEST.txt (every file: kind, name, version, sha256) and SHA256SUMS
#
# Environment: PYTHON (a Python 3.11 on x86_64, like Debian 12's; default python3),
# DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SECURITY_MIRROR,
# DEB_CACHE (downloaded .deb files, shared with the image builds; default
# .cache/kiosk-image/debs). Needs apt-get, dpkg-scanpackages (dpkg-dev) and the Debian
# archive keyring (scripts/packages/bundle.txt).
set -euo pipefail

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(realpath -m "${1:-$SOURCE/build}")
PYTHON=${PYTHON:-python3}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
DEB_CACHE=$(realpath -m "${DEB_CACHE:-$SOURCE/.cache/kiosk-image/debs}")

fail() { echo "error: $*" >&2; exit 1; }
step() { printf '==> %s\n' "$*"; }

for tool in apt-get dpkg-deb dpkg-scanpackages sha256sum tar; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/packages/bundle.txt)"
done
[ -f "$KEYRING" ] || fail "$KEYRING is missing (apt-get install debian-archive-keyring)"
target=$("$PYTHON" -c 'import platform, sys; print("%d.%d" % sys.version_info[:2], platform.machine())') \
  || fail "cannot run PYTHON=$PYTHON"
[ "$target" = "3.11 x86_64" ] || fail "the wheels must be built by a Python 3.11 on x86_64" \
  "(Debian 12's); $PYTHON is $target: set PYTHON="

work=$(mktemp -d "${TMPDIR:-/tmp}/shopfloor-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/stage
mkdir -p "$stage/wheels" "$stage/debs" "$OUT" "$DEB_CACHE/partial"
started=$SECONDS

step "wheels for '.[server,postgresql]' ($PYTHON)"
# The program is built from a copy of the checkout's files (not ignored by git): a build
# in the checkout itself reuses its build/lib, where a module deleted since would remain.
program=$SOURCE
if git -C "$SOURCE" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  program=$work/source
  mkdir "$program"
  (cd "$SOURCE" && git ls-files -z -co --exclude-standard \
    | while IFS= read -r -d '' file; do if [ -f "$file" ]; then printf '%s\0' "$file"; fi; done \
    | xargs -0 cp --parents -t "$program")
fi
"$PYTHON" -m pip wheel --quiet --wheel-dir "$stage/wheels" "${program}[server,postgresql]" pip
for wheel in "$stage"/wheels/*.whl; do
  tags=${wheel##*/}; tags=${tags%.whl}
  case $tags in
    *-none-any|*-cp311-*x86_64|*-abi3-*x86_64) ;;
    *) fail "${wheel##*/} does not install on Debian 12's Python 3.11 on x86_64" ;;
  esac
done
project=$(cd "$stage/wheels" && echo shopfloor_kiosk-*.whl)
VERSION=$(echo "$project" | cut -d- -f2)
[ -f "$stage/wheels/$project" ] || fail "the project's wheel was not built"
NAME=shopfloor-server-bundle-$VERSION

step "Debian $SUITE packages (resolved for a minimal system)"
mapfile -t packages < <(bash "$SOURCE/provisioning/server/install.sh" --list-packages)
apt_dir=$work/apt
mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache" "$apt_dir/empty"
: >"$apt_dir/status"
cat >"$apt_dir/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR $SUITE main
deb [signed-by=$KEYRING] $MIRROR $SUITE-updates main
deb [signed-by=$KEYRING] $SECURITY_MIRROR $SUITE-security main
EOF
# A private apt: its own sources, lists and caches, and an empty dpkg status, so nothing of
# this machine's own packages or settings (other than its proxy) decides what is fetched.
apt_options=(-o "Dir::State=$apt_dir/state" -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache" -o "Dir::Cache::pkgcache=pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=" -o "Dir::Cache::Archives=$DEB_CACHE"
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/empty"
  -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$apt_dir/empty"
  -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64"
  -o "APT::Install-Recommends=false")
apt-get "${apt_options[@]}" update -qq >"$work/apt.log" 2>&1 \
  || { cat "$work/apt.log" >&2; fail "apt-get update failed"; }
apt-get "${apt_options[@]}" install --download-only -y -qq "${packages[@]}" >>"$work/apt.log" 2>&1 \
  || { tail -20 "$work/apt.log" >&2; fail "downloading the Debian packages failed"; }
# What an empty system installs ("Inst NAME (VERSION SUITE [ARCH])"): those files, from the cache.
apt-get "${apt_options[@]}" install --simulate -qq "${packages[@]}" 2>/dev/null \
  | awk '$1 == "Inst" && match($0, /\[[a-z0-9]+\]/) {
      version = $3; sub(/^\(/, "", version)
      print $2, version, substr($0, RSTART + 1, RLENGTH - 2) }' \
  | while read -r name version arch; do
      file="${name}_${version/:/%3a}_${arch}.deb"
      [ -f "$DEB_CACHE/$file" ] || fail "$file was not downloaded"
      cp "$DEB_CACHE/$file" "$stage/debs/"
    done
(cd "$stage/debs" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages \
  && gzip -9nk Packages)
{
  echo "Origin: shopfloor-server-bundle"
  echo "Label: shopfloor-server-bundle"
  echo "Suite: $SUITE"
  echo "Codename: $SUITE"
  echo "Date: $(LC_ALL=C date -u -R)"
  echo "Architectures: amd64 all"
  echo "Description: Debian $SUITE packages for the Shopfloor server's offline install"
  echo "SHA256:"
  for index in Packages Packages.gz; do
    printf ' %s %s %s\n' "$(sha256sum "$stage/debs/$index" | cut -d' ' -f1)" \
      "$(stat -c %s "$stage/debs/$index")" "$index"
  done
} >"$stage/debs/Release"

step "install.sh, units, README.md"
install -m 0755 "$SOURCE/provisioning/server/install.sh" "$stage/install.sh"
mkdir -p "$stage/provisioning/server"
cp -r "$SOURCE/provisioning/server/systemd" "$SOURCE/provisioning/server/nginx" \
  "$stage/provisioning/server/"
cp "$SOURCE/README.md" "$stage/README.md"

step "MANIFEST.txt, SHA256SUMS"
{
  echo "# $NAME, built $(date -u +%Y-%m-%dT%H:%M:%SZ) for Debian 12 ($SUITE) amd64, Python 3.11"
  echo "# install: sudo ./install.sh --offline . [--postgresql] [--nginx]  (see README.md)"
  printf '# %s\t%s\t%s\t%s\t%s\n' kind name version sha256 file
  for deb in "$stage"/debs/*.deb; do
    printf 'deb\t%s\t%s\t%s\t%s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" \
      "$(sha256sum "$deb" | cut -d' ' -f1)" "debs/${deb##*/}"
  done
  for wheel in "$stage"/wheels/*.whl; do
    printf 'wheel\t%s\t%s\t%s\t%s\n' "$(basename "$wheel" | cut -d- -f1)" \
      "$(basename "$wheel" | cut -d- -f2)" "$(sha256sum "$wheel" | cut -d' ' -f1)" \
      "wheels/${wheel##*/}"
  done
} >"$stage/MANIFEST.txt"
(cd "$stage" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum) \
  >"$work/SHA256SUMS"
mv "$work/SHA256SUMS" "$stage/SHA256SUMS"

step "$OUT/$NAME.tar"
mv "$stage" "$work/$NAME"
tar --create --file "$OUT/$NAME.tar.partial" --directory "$work" --sort=name --owner=0 \
  --group=0 --numeric-owner --mode=u+rw,go+r,go-w "$NAME"
mv "$OUT/$NAME.tar.partial" "$OUT/$NAME.tar"
(cd "$OUT" && sha256sum "$NAME.tar" >"$NAME.tar.sha256")
printf '%s: %s wheels, %s Debian packages, %s, built in %ss\n' "$OUT/$NAME.tar" \
  "$(find "$work/$NAME/wheels" -name '*.whl' | wc -l)" \
  "$(find "$work/$NAME/debs" -name '*.deb' | wc -l)" \
  "$(du -h "$OUT/$NAME.tar" | cut -f1)" "$((SECONDS - started))"
