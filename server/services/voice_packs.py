"""Voice packs: HR's zip of recorded clips checked, stored, listed and sent to the kiosks.

An upload is read whole (it is small: at most `ZIP_MAX_BYTES`) and checked before anything
is written: a zip, at most `MAX_ENTRIES` entries, no path outside the pack, no links, no
encrypted entries, its declared unpacked size under `UNPACKED_MAX_BYTES` and each entry
under `ENTRY_MAX_BYTES` (a zip bomb is refused by its sizes, and an entry is never read
past its cap), every WAV checked by `shopfloor_voice.check_wav` (RIFF PCM 16-bit mono, a
pack rate, 0.05–15 s) and named as `shopfloor_voice.clip_name` allows, one sample rate
for all. Every problem is a `Refused` naming the file; `PackRefused` carries them all and
nothing is stored. A pack that passes is written anew by the server (its clips and a
pack.json of its own making) as `voice_packs/<sha256>.zip`; it replaces the language's
pack, audited.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Kiosk, VoicePack, Worker
from server.services import InvalidInput, NotFound
from server.services import audit as audit_log
from server.services.refusals import N_, Refused
from shopfloor_voice import (
    LANGUAGES,
    MANIFEST,
    PackError,
    WavInfo,
    check_wav,
    clip_name,
    manifest,
    manifest_json,
)

ZIP_MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRIES = 2000
ENTRY_MAX_BYTES = 2 * 1024 * 1024  # 15 s at 48 kHz, 16-bit mono is 1.44 MB
UNPACKED_MAX_BYTES = 256 * 1024 * 1024
MANIFEST_MAX_BYTES = 1024 * 1024
MAX_PROBLEMS = 30
FOLDER = "voice_packs"
# What macOS and Windows add when they zip a folder; passed over, never stored.
JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
DEFAULT_LANGUAGE = "zh_CN"


class PackRefused(InvalidInput):
    """A pack refused; `problems` says each thing wrong, file by file."""

    def __init__(self, problems: list[Refused]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CheckedPack:
    language: str
    sample_rate: int
    clips: dict[str, bytes]
    infos: dict[str, WavInfo]
    name: str

    @property
    def seconds(self) -> float:
        return sum(info.seconds for info in self.infos.values())


def _refused(error: PackError) -> Refused:
    return Refused(error.text, **error.params)


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise Refused(N_("%(language)s is not a kiosk language; choose one of "
                         "%(languages)s."), language=language,
                      languages=", ".join(LANGUAGES))
    return language


def check_pack(data: bytes, language: str, filename: str = "upload.zip") -> CheckedPack:
    """Everything in the zip checked; PackRefused listing what is wrong, else the clips."""
    check_language(language)
    if len(data) > ZIP_MAX_BYTES:
        raise PackRefused([Refused(N_("%(file)s is larger than %(mb)s MB; a voice pack zip "
                                      "is at most that."), file=filename,
                                   mb=ZIP_MAX_BYTES // (1024 * 1024))])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise PackRefused([Refused(N_("%(file)s is not a zip file. Zip the pack's folder "
                                      "and upload the .zip."), file=filename)]) from None
    with archive:
        files = _structure(entries, filename)
        return _clips(archive, files, language, filename)


def _structure(entries: list[zipfile.ZipInfo], filename: str
               ) -> dict[str, zipfile.ZipInfo]:
    """Member name in the pack -> entry, once the zip's shape is safe; refuses at once
    (before reading anything) what could harm: too many entries, paths outside, links,
    encrypted or oversized entries."""
    if len(entries) > MAX_ENTRIES:
        raise PackRefused([Refused(N_("%(file)s holds %(count)s entries; a voice pack holds "
                                      "at most %(max)s."), file=filename,
                                   count=len(entries), max=MAX_ENTRIES)])
    problems: list[Refused] = []
    declared = 0
    kept: list[zipfile.ZipInfo] = []
    for entry in entries:
        name = entry.filename
        if any(part in JUNK for part in (name, name.split("/")[0] + "/",
                                         posixpath.basename(name))):
            continue
        mode = entry.external_attr >> 16
        if stat.S_ISLNK(mode):
            problems.append(Refused(N_("%(file)s is a link; a voice pack holds only "
                                       "files."), file=name))
            continue
        normal = posixpath.normpath(name.replace("\\", "/"))
        if (name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/")
                or normal.startswith("../") or (len(name) > 1 and name[1] == ":")):
            problems.append(Refused(N_("%(file)s points outside the pack (an absolute path "
                                       "or ..); refused."), file=name))
            continue
        if entry.is_dir():
            continue
        if entry.flag_bits & 0x1:
            problems.append(Refused(N_("%(file)s is encrypted; zip the pack without a "
                                       "password."), file=name))
            continue
        if entry.file_size > ENTRY_MAX_BYTES:
            problems.append(Refused(N_("%(file)s would unpack to %(mb)s MB; a clip is at "
                                       "most %(max)s MB."), file=name,
                                    mb=f"{entry.file_size / 1048576:.1f}",
                                    max=ENTRY_MAX_BYTES // 1048576))
            continue
        declared += entry.file_size
        kept.append(entry)
    if declared > UNPACKED_MAX_BYTES:
        problems.append(Refused(N_("%(file)s would unpack to %(mb)s MB, more than %(max)s "
                                   "MB: refused as a possible zip bomb."), file=filename,
                                mb=declared // 1048576, max=UNPACKED_MAX_BYTES // 1048576))
    if problems:
        raise PackRefused(problems[:MAX_PROBLEMS])
    return _strip_folder({unicodedata.normalize("NFC", e.filename): e for e in kept})


def _strip_folder(files: dict[str, zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """A zip of the pack's folder (``yue/numbers/1.wav``) reads like one of its contents."""
    tops = {name.split("/")[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        top = next(iter(tops))
        if top not in ("phrases", "numbers", "words"):
            return {name[len(top) + 1:]: entry for name, entry in files.items()}
    return files


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, cap: int) -> bytes:
    """An entry's bytes, never more than ``cap`` whatever its header says."""
    with archive.open(entry) as member:
        data = member.read(cap + 1)
    if len(data) > cap:
        raise Refused(N_("%(file)s would unpack to %(mb)s MB; a clip is at most %(max)s MB."),
                      file=entry.filename, mb=f"{len(data) / 1048576:.1f}",
                      max=cap // 1048576)
    return data


def _clips(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], language: str,
           filename: str) -> CheckedPack:
    problems: list[Refused] = []
    clips: dict[str, bytes] = {}
    infos: dict[str, WavInfo] = {}
    name = ""
    for member, entry in sorted(files.items()):
        try:
            if member == MANIFEST:
                name = _manifest_name(_read(archive, entry, MANIFEST_MAX_BYTES), language)
                continue
            try:
                clip_name(member, language)
            except PackError as error:
                problems.append(_refused(error))
                continue
            data = _read(archive, entry, ENTRY_MAX_BYTES)
            infos[member] = check_wav(member, data)
            clips[member] = data
        except PackError as error:
            problems.append(_refused(error))
        except Refused as error:
            problems.append(error)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            problems.append(Refused(N_("%(file)s is damaged in the zip: %(reason)s."),
                                    file=member, reason=str(error)))
        if len(problems) >= MAX_PROBLEMS:
            break
    rates = sorted({info.sample_rate for info in infos.values()})
    if len(rates) > 1:
        first = next(iter(infos.values())).sample_rate
        for member, info in infos.items():
            if info.sample_rate != first:
                problems.append(Refused(N_("%(file)s is sampled at %(rate)s Hz, the pack's "
                                           "other clips at %(pack_rate)s Hz: use one rate "
                                           "for the whole pack."), file=member,
                                        rate=info.sample_rate, pack_rate=first))
    if not problems and not clips:
        problems.append(Refused(N_("%(file)s holds no clips: put WAV files in phrases/, "
                                   "numbers/ or words/."), file=filename))
    if problems:
        raise PackRefused(problems[:MAX_PROBLEMS])
    return CheckedPack(language, rates[0], clips, infos, name or filename)


def _manifest_name(data: bytes, language: str) -> str:
    try:
        listing = json.loads(data.decode("utf-8"))
        said = listing.get("language")
        name = str(listing.get("name") or "")[:100]
    except (ValueError, UnicodeDecodeError, AttributeError):
        raise Refused(N_("%(file)s is not valid JSON; leave it out and the server writes "
                         "one."), file=MANIFEST) from None
    if said and said != language:
        raise Refused(N_("%(file)s says the pack is for %(said)s, not %(language)s."),
                      file=MANIFEST, said=str(said)[:16], language=language)
    return name


# ---------------------------------------------------------------- storing

def pack_dir(data_dir: Path) -> Path:
    folder = data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_zip(checked: CheckedPack) -> bytes:
    """The zip the kiosks get: the clips as uploaded and a pack.json the server made."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        listing = manifest(checked.language, checked.sample_rate, checked.infos,
                           name=checked.name, source="uploaded")
        archive.writestr(MANIFEST, manifest_json(listing))
        for member in sorted(checked.clips):
            archive.writestr(member, checked.clips[member])
    return out.getvalue()


def add_pack(session: Session, data_dir: Path, language: str, data: bytes, filename: str,
             actor: str) -> VoicePack:
    """Check and store an upload as the language's pack (replacing one it had)."""
    checked = check_pack(data, language, filename)
    body = write_zip(checked)
    digest = hashlib.sha256(body).hexdigest()
    relative = f"{FOLDER}/{digest}.zip"
    target = data_dir / relative
    part = pack_dir(data_dir) / f".incoming-{digest}"
    part.write_bytes(body)
    part.replace(target)
    pack = session.scalars(select(VoicePack).where(VoicePack.language == language)).first()
    before = _facts(pack) if pack is not None else None
    previous = pack.file_path if pack is not None and pack.file_path != relative else None
    if pack is None:
        pack = VoicePack(language=language)
        session.add(pack)
    pack.name = checked.name[:100]
    pack.sha256 = digest
    pack.size_bytes = len(body)
    pack.clip_count = len(checked.clips)
    pack.sample_rate = checked.sample_rate
    pack.seconds = round(checked.seconds, 2)
    pack.file_path = relative
    pack.uploaded_by = actor[:80]
    session.flush()
    audit_log.record(session, actor, "voice_pack_uploaded", "voice_pack", pack.id,
                     before=before, after=_facts(pack))
    if previous is not None:
        (data_dir / previous).unlink(missing_ok=True)
    return pack


def delete_pack(session: Session, data_dir: Path, pack_id: int, actor: str) -> VoicePack:
    pack = session.get(VoicePack, pack_id)
    if pack is None:
        raise NotFound(f"no voice pack {pack_id}")
    audit_log.record(session, actor, "voice_pack_deleted", "voice_pack", pack.id,
                     before=_facts(pack))
    session.delete(pack)
    session.flush()
    (data_dir / pack.file_path).unlink(missing_ok=True)
    return pack


def _facts(pack: VoicePack) -> dict[str, Any]:
    return {"language": pack.language, "name": pack.name, "sha256": pack.sha256,
            "clips": pack.clip_count, "sample_rate": pack.sample_rate}


def list_packs(session: Session) -> list[VoicePack]:
    return list(session.scalars(select(VoicePack).order_by(VoicePack.language)))


# ---------------------------------------------------------------- kiosks

def kiosk_languages(session: Session, kiosk: Kiosk) -> set[str]:
    """The languages a kiosk speaks: the default one and its workshops' workers'."""
    shops = [w.id for w in kiosk.workshops]
    found = session.scalars(select(Worker.language).where(Worker.workshop_id.in_(shops))
                            .distinct()).all() if shops else []
    return {DEFAULT_LANGUAGE, *(str(getattr(lang, "value", lang)) for lang in found)}


def kiosk_packs(session: Session, kiosk: Kiosk) -> list[dict[str, Any]]:
    languages = kiosk_languages(session, kiosk)
    return [{"language": p.language, "name": p.name, "sha256": p.sha256,
             "size_bytes": p.size_bytes, "clip_count": p.clip_count,
             "sample_rate": p.sample_rate, "uploaded_at": p.uploaded_at.isoformat(),
             "file_url": f"/api/v1/voice-packs/{p.language}/file"}
            for p in list_packs(session) if p.language in languages]


def kiosk_pack(session: Session, kiosk: Kiosk, language: str) -> VoicePack:
    pack = session.scalars(select(VoicePack).where(VoicePack.language == language)).first()
    if pack is None or language not in kiosk_languages(session, kiosk):
        raise NotFound(f"no voice pack for {language[:16]} for this kiosk")
    return pack
