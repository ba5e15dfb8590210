"""Voice packs as an attacker would upload them: crafted zips (a path out of the pack, a
link, a zip bomb, a wrong sample rate, 8-bit, stereo, too long, an unknown name, no zip at
all) are each refused with a message naming the file, in the reader's language, and
nothing is stored; a good pack is stored, audited, listed to the kiosks that speak its
language and downloadable with its sha256 as ETag; a kiosk of another workshop, a revoked
one or a caller with no token cannot download it; only admins upload, with CSRF."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import struct
import wave
import zipfile
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, VoicePack
from server.services import voice_packs as service
from server.services.devices.kiosks import revoke_kiosk
from support.factory import Factory, Plant, bearer


def wav(seconds: float = 0.3, rate: int = 22050, width: int = 2, channels: int = 1,
        tone: float = 440.0) -> bytes:
    out = io.BytesIO()
    frames = int(seconds * rate)
    with wave.open(out, "wb") as clip:
        clip.setnchannels(channels)
        clip.setsampwidth(width)
        clip.setframerate(rate)
        if width == 2:
            samples = b"".join(struct.pack("<h", int(8000 * math.sin(i * tone / rate * 6.283)))
                               * channels for i in range(frames))
        else:
            samples = bytes(128 + int(60 * math.sin(i / 8)) for i in range(frames * channels))
        clip.writeframes(samples)
    return out.getvalue()


def zipped(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return out.getvalue()


def good_files() -> dict[str, bytes]:
    return {"numbers/1.wav": wav(0.3), "numbers/100.wav": wav(0.4, tone=300),
            "words/加上.wav": wav(0.5, tone=500), "phrases/say.saved.wav": wav(0.8, tone=600)}


def bomb() -> bytes:
    """Many entries of zeros that deflate to almost nothing: 300 × 1 MB unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(300):
            archive.writestr(f"words/{'字' * (i % 20 + 1)}{'甲乙丙丁戊'[i % 5]}{i}.wav",
                             b"\0" * (1024 * 1024))
    return out.getvalue()


def one_huge_entry() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("numbers/1.wav", b"RIFF" + b"\0" * (40 * 1024 * 1024))
    return out.getvalue()


ATTACKS: dict[str, tuple[bytes, str, str]] = {
    # name: (the upload, the file the message names, what the Chinese message says)
    "traversal": (zipped({**good_files(), "../../etc/evil.wav": wav()}), "../../etc/evil.wav",
                  "指向语音包之外"),
    "absolute": (zipped({**good_files(), "/tmp/evil.wav": wav()}), "/tmp/evil.wav",
                 "指向语音包之外"),
    "symlink": (zipped(good_files(), links={"numbers/2.wav": "/etc/passwd"}),
                "numbers/2.wav", "是链接"),
    "bomb": (bomb(), "pack.zip", "压缩炸弹"),
    "huge entry": (one_huge_entry(), "numbers/1.wav", "解压后有"),
    "sample rate": (zipped({**good_files(), "numbers/3.wav": wav(rate=8000)}),
                    "numbers/3.wav", "8000 Hz"),
    "8-bit": (zipped({**good_files(), "numbers/4.wav": wav(width=1)}), "numbers/4.wav",
              "8 位采样"),
    "stereo": (zipped({**good_files(), "numbers/5.wav": wav(channels=2)}), "numbers/5.wav",
               "2 个声道"),
    "too long": (zipped({**good_files(), "numbers/6.wav": wav(seconds=16, rate=16000)}),
                 "numbers/6.wav", "长 16.00 秒"),
    "too short": (zipped({**good_files(), "numbers/7.wav": wav(seconds=0.01)}),
                  "numbers/7.wav", "长 0.01 秒"),
    "unknown name": (zipped({**good_files(), "numbers/eleventy.wav": wav()}),
                     "numbers/eleventy.wav", "不是这种语言的数字片段"),
    "stray file": (zipped({**good_files(), "run.sh": b"#!/bin/sh\nrm -rf /\n"}), "run.sh",
                   "不是语音包可以有的片段名"),
    "not a wav": (zipped({**good_files(), "numbers/8.wav": b"ID3\x03 an mp3 really"}),
                  "numbers/8.wav", "不是 WAV 文件"),
    "mixed rates": (zipped({**good_files(), "numbers/9.wav": wav(rate=44100)}),
                    "numbers/9.wav", "整个语音包请用同一个采样率"),
    "not a zip": (b"%PDF-1.4 not a zip at all", "pack.zip", "不是 zip 文件"),
    "empty": (zipped({}), "pack.zip", "里没有片段"),
    "other language": (zipped({**good_files(), "pack.json": json.dumps(
        {"language": "en"}).encode()}), "pack.json", "写的是 en 的语音包"),
}


@pytest.fixture
def admin(app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient]
          ) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def upload(client: FlaskClient, data: bytes, language: str = "zh_CN",
           name: str = "pack.zip") -> str:
    response = client.post("/admin/voice-packs/upload",
                           data={"language": language, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def stored(app: Flask) -> list[Path]:
    folder = app.config["SHOPFLOOR"].data_dir / service.FOLDER
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_each_crafted_zip_is_refused_with_its_message_and_nothing_stored(
        app: Flask, session: Session, admin: FlaskClient) -> None:
    for attack, (data, file, says) in ATTACKS.items():
        page = upload(admin, data)
        errors = re.findall(r'<div class="flash error"[^>]*>(.*?)</div>', page, re.S)
        assert [e for e in errors if file in e and says in e], \
            f"{attack}: no message naming {file} with {says!r}: {errors}"
        assert "没有保存" in page or says in page, attack
        assert session.scalars(select(VoicePack)).all() == [], attack
        assert stored(app) == [], attack
    assert not session.scalars(select(AuditEntry).where(
        AuditEntry.action == "voice_pack_uploaded")).all()


def test_the_bomb_is_refused_by_its_sizes_without_unpacking(monkeypatch) -> None:
    data = ATTACKS["bomb"][0]
    read: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(getattr(name, "filename", name))
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    with pytest.raises(service.PackRefused) as refused:
        service.check_pack(data, "zh_CN", "bomb.zip")
    assert read == [] and "zip bomb" in str(refused.value)


def test_a_header_that_lies_about_the_size_is_refused_as_damaged() -> None:
    """The entry says 100 bytes and holds 3 MB: it is read no further than it says (and
    never past the cap), and refused."""
    honest = zipped({"numbers/1.wav": wav(0.3)})
    data = bytearray(zipfile.ZipFile(io.BytesIO(honest)).read("numbers/1.wav"))
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("numbers/1.wav", bytes(data) + b"\0" * (3 * 1024 * 1024))
    # make the central directory claim a small file
    raw = bytearray(body.getvalue())
    size = struct.pack("<I", len(data) + 3 * 1024 * 1024)
    raw = raw.replace(size, struct.pack("<I", 100))
    with pytest.raises(service.PackRefused) as refused:
        service.check_pack(bytes(raw), "zh_CN", "liar.zip")
    assert [p.params["file"] for p in refused.value.problems] == ["numbers/1.wav"]
    assert "damaged" in str(refused.value)


def test_english_reader_gets_english_messages(app: Flask, admin: FlaskClient) -> None:
    admin.post("/admin/language", data={"language": "en", "next": "/admin/voice-packs"})
    page = upload(admin, ATTACKS["stereo"][0])
    assert "numbers/5.wav has 2 channels; save it as mono" in page


def test_a_good_pack_is_stored_audited_and_replaced(
        app: Flask, session: Session, admin: FlaskClient) -> None:
    # a zip of the pack's folder (as Windows and macOS make it) reads the same
    files = {f"我的语音包/{name}": data for name, data in good_files().items()}
    files["__MACOSX/._junk"] = b"junk"
    page = upload(admin, zipped(files), language="en", name="mine.zip")
    assert "语音包已保存" in page and "4 个片段" in page
    pack = session.scalars(select(VoicePack)).one()
    first_sha = pack.sha256
    assert (pack.language, pack.clip_count, pack.sample_rate) == ("en", 4, 22050)
    [path] = stored(app)
    body = path.read_bytes()
    assert hashlib.sha256(body).hexdigest() == pack.sha256
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = sorted(archive.namelist())
        listing = json.loads(archive.read("pack.json"))
    assert names == sorted(["pack.json", *good_files()])
    assert listing["language"] == "en" and len(listing["clips"]) == 4
    audit = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "voice_pack_uploaded")).one()
    assert audit.after["sha256"] == pack.sha256 and audit.actor == "user:admin"
    listed = admin.get("/admin/voice-packs").get_data(as_text=True)
    assert "English (en)" in listed and pack.sha256[:12] in listed

    # a new upload replaces it; removing it deletes the file
    upload(admin, zipped({"numbers/1.wav": wav(0.2)}), language="en")
    session.expire_all()
    replaced = session.scalars(select(VoicePack)).one()
    assert replaced.clip_count == 1 and replaced.sha256 != first_sha
    assert [p.name for p in stored(app)] == [f"{replaced.sha256}.zip"]  # the old one went
    replaced_id = replaced.id
    admin.post(f"/admin/voice-packs/{replaced_id}/delete", follow_redirects=True)
    session.expire_all()
    assert session.scalars(select(VoicePack)).all() == []
    assert stored(app) == []
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "voice_pack_deleted")).one()


def test_kiosks_download_only_their_languages_packs(
        app: Flask, session: Session, factory: Factory) -> None:
    pack = service.add_pack(session, app.config["SHOPFLOOR"].data_dir, "en",
                            zipped(good_files()), "en.zip", "user:hr")
    session.commit()
    body = (app.config["SHOPFLOOR"].data_dir / pack.file_path).read_bytes()
    api = app.test_client()
    # K1's workshop W1 has an English-speaking worker: listed and downloadable
    listed = api.get("/api/v1/voice-packs", headers=bearer(factory.kiosk_token)).get_json()
    assert [p["language"] for p in listed["voice_packs"]] == ["en"]
    assert listed["voice_packs"][0]["sha256"] == hashlib.sha256(body).hexdigest()
    url = listed["voice_packs"][0]["file_url"]
    with api.get(url, headers=bearer(factory.kiosk_token)) as got:
        assert got.status_code == 200 and got.data == body
        assert got.headers["ETag"].strip('"') == pack.sha256
    with api.get(url, headers=bearer(factory.kiosk_token,
                                     **{"If-None-Match": f'"{pack.sha256}"'})) as again:
        assert again.status_code == 304
    # K2's workshop speaks no English: not listed, not downloadable
    other = bearer(factory.other_kiosk_token)
    assert api.get("/api/v1/voice-packs", headers=other).get_json()["voice_packs"] == []
    assert api.get(url, headers=other).status_code == 404
    assert api.get("/api/v1/voice-packs/../../etc/passwd/file", headers=other).status_code \
        == 404
    # no token, a made-up token, a revoked kiosk
    assert api.get(url).status_code == 401
    assert api.get("/api/v1/voice-packs").status_code == 401
    assert api.get(url, headers=bearer("k_" + "0" * 40)).status_code == 401
    revoke_kiosk(session, "K1", "test")
    session.commit()
    assert api.get(url, headers=bearer(factory.kiosk_token)).status_code == 401


def test_only_admins_upload_and_csrf_is_checked(
        app: Flask, session: Session, plant: Plant,
        login_as: Callable[[str | None], FlaskClient]) -> None:
    data = zipped(good_files())
    for user in ("sup1", "view1"):
        response = login_as(user).post(
            "/admin/voice-packs/upload", data={"language": "zh_CN",
                                               "file": (io.BytesIO(data), "p.zip")},
            content_type="multipart/form-data")
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or "login" not in response.headers["Location"]
    viewer = login_as("view1")
    assert viewer.get("/admin/voice-packs").status_code == 200
    app.config["WTF_CSRF_ENABLED"] = True
    response = login_as("admin").post(
        "/admin/voice-packs/upload", data={"language": "zh_CN",
                                           "file": (io.BytesIO(data), "p.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert session.scalars(select(VoicePack)).all() == [] and stored(app) == []


def test_the_page_shows_the_form_to_admins(admin: FlaskClient) -> None:
    page = admin.get("/admin/voice-packs").get_data(as_text=True)
    assert 'name="language"' in page and 'for="voice-pack-file"' in page
    assert "还没有语音包" in page
