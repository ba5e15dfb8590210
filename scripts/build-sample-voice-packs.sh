#!/usr/bin/env bash
# Builds the sample voice packs (one per kiosk language, spoken by espeak-ng, so free of
# licence questions) and zips each as HR uploads it in the admin (Voice packs):
#   scripts/build-sample-voice-packs.sh [OUT]     (default build/voice-packs)
# gives OUT/<lang>/ (a pack folder: pack.json, phrases/, numbers/, words/) and
# OUT/<lang>.zip. About 5 MB per language, so they are built, not kept in git.
set -euo pipefail

out=${1:-build/voice-packs}
kiosk=${SHOPFLOOR_KIOSK:-shopfloor-kiosk}
mkdir -p "$out"
for lang in zh_CN en yue; do
  rm -rf "${out:?}/$lang" "$out/$lang.zip"
  "$kiosk" voice-pack build --language "$lang" --out "$out/$lang"
  python3 - "$out/$lang" "$out/$lang.zip" <<'PY'
import sys, zipfile
from pathlib import Path
pack, target = Path(sys.argv[1]), sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for path in sorted(pack.rglob("*")):
        if path.is_file():
            archive.write(path, path.relative_to(pack).as_posix())
PY
done
ls -l "$out"/*.zip
