"""Routes a kiosk calls for voice packs: the packs of its languages, and each pack's zip
(ETag: its sha256, which the kiosk checks before unpacking)."""

from __future__ import annotations

from flask import Response, jsonify, send_file
from pydantic import Field

from server.api.auth import current_kiosk
from server.api.schemas import _Answer
from server.api.spec import operation
from server.services.training.videos import stored_file
from server.services.voice_packs import kiosk_pack, kiosk_packs
from server.web import app_config, db_session


class VoicePackOut(_Answer):
    language: str = Field(description="zh_CN, en or yue")
    name: str
    sha256: str = Field(description="hex digest of the zip: check it after downloading")
    size_bytes: int
    clip_count: int
    sample_rate: int
    uploaded_at: str
    file_url: str = Field(description="the zip; its ETag is the sha256")


class VoicePackList(_Answer):
    voice_packs: list[VoicePackOut]


@operation(
    "GET", "/voice-packs", auth="kiosk", summary="The voice packs this kiosk should hold",
    description="One pack per language the kiosk speaks (the default language and its "
                "workshops' workers' languages) that HR uploaded a pack for.",
    responses={200: ("The packs", VoicePackList)},
)
def get_voice_packs() -> Response:
    kiosk = current_kiosk()
    session = db_session()
    packs = kiosk_packs(session, kiosk)
    session.commit()
    return jsonify({"voice_packs": packs})


@operation(
    "GET", "/voice-packs/<language>/file", auth="kiosk", summary="A voice pack's zip",
    description="The zip the server wrote from HR's checked upload: clips under phrases/, "
                "numbers/ and words/ and its pack.json. The ETag is its sha256.",
    responses={200: ("The zip", None)}, errors=(404,), content_type="application/zip",
)
def get_voice_pack_file(language: str) -> Response:
    kiosk = current_kiosk()
    session = db_session()
    pack = kiosk_pack(session, kiosk, language)
    path = stored_file(app_config().data_dir, pack.file_path)
    session.commit()
    return send_file(path, mimetype="application/zip", conditional=True, etag=pack.sha256,
                     max_age=0)
