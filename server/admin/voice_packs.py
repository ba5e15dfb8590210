"""Voice packs: HR uploads a zip of recorded clips per language; checked file by file,
refused whole with every problem named, or stored for the kiosks to download."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, READ_PLANT, admin, allow
from server.admin.common import actor, failed, field, said, saving
from server.services import ServiceError
from server.services import voice_packs as service
from server.web import app_config, db_session
from shopfloor_voice import LANGUAGES, MAX_SECONDS, MIN_SECONDS, SAMPLE_RATES

FORM_OVERHEAD = 64 * 1024
LANGUAGE_NAMES = {"zh_CN": "中文 (zh_CN)", "en": "English (en)", "yue": "粵語 (yue)"}


@admin.before_app_request
def _voice_pack_size_limit() -> None:
    """The upload's own limit, set before anything (the CSRF check too) reads the body."""
    if request.endpoint == "admin.voice_packs_upload":
        request.max_content_length = service.ZIP_MAX_BYTES + FORM_OVERHEAD


@admin.route("/voice-packs")
@allow(READ_PLANT)
def voice_packs() -> str:
    return render_template(
        "admin/voice_packs.html", packs=service.list_packs(db_session()),
        languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
        language_names=LANGUAGE_NAMES, limit_mb=service.ZIP_MAX_BYTES // (1024 * 1024),
        rates=", ".join(map(str, SAMPLE_RATES)), min_s=MIN_SECONDS, max_s=MAX_SECONDS)


@admin.route("/voice-packs/upload", methods=["POST"])
@allow(ADMIN)
def voice_packs_upload() -> Response:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        failed(ServiceError(_("Choose a zip file first.")))
        return redirect(url_for("admin.voice_packs"))
    data = upload.stream.read(service.ZIP_MAX_BYTES + 1)
    with saving() as saved:
        try:
            pack = service.add_pack(db_session(), app_config().data_dir, field("language"),
                                    data, upload.filename, actor())
        except service.PackRefused as refused:
            for problem in refused.problems:
                flash(said(problem), "error")
            raise ServiceError(_("%(file)s was not kept: correct the clips named above and "
                                 "upload it again.", file=upload.filename)) from None
        saved.done(_("The %(language)s voice pack was stored: %(clips)s clips at %(rate)s "
                     "Hz. Kiosks download it in the background.",
                     language=pack.language, clips=pack.clip_count, rate=pack.sample_rate))
    return redirect(url_for("admin.voice_packs"))


@admin.route("/voice-packs/<int:pack_id>/delete", methods=["POST"])
@allow(ADMIN)
def voice_packs_delete(pack_id: int) -> Response:
    with saving(not_found=404) as saved:
        pack = service.delete_pack(db_session(), app_config().data_dir, pack_id, actor())
        saved.done(_("The %(language)s voice pack was removed; kiosks speak that language "
                     "with the synthetic voice again.", language=pack.language))
    return redirect(url_for("admin.voice_packs"))
