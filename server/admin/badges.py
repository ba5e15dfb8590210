"""Badges: type a card UID or take the card tapped at a kiosk (listed with the number the
site's cards print), issue QR badges, print badge sheets (after HR confirms the QR badges
they replace), revoke."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, admin, allow
from server.admin.common import actor, arg, failed, field, photo_dir, saving
from server.services import ServiceError
from server.services.devices.kiosks import list_kiosks
from server.services.people import badges as service
from server.services.people import workers as people
from server.services.people.badges import assign_card, assign_qr
from server.web import app_config, db_session, server_keys


def qr_svg(text: str) -> Markup:
    """A QR code as inline SVG: no image request, nothing for the CSP to allow."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg)  # made by the qrcode library from our own text, not user markup


@admin.route("/badges")
@allow(ADMIN)
def badges() -> str:
    db = db_session()
    shop = arg("workshop")
    sheet_workers = people.search(db, workshop=shop, status="active")[0] if shop else []
    taps = _taps()
    db.commit()  # reading forgets the taps older than a day
    return render_template(
        "admin/badges.html", badges=service.list_badges(db, arg("worker")),
        kiosks=[k for k in list_kiosks(db) if k["state"] == "enrolled"],
        taps=taps, shops=people.workshops(db), sheet_workers=sheet_workers)


@admin.route("/badges/card", methods=["POST"])
@allow(ADMIN)
def badges_card() -> Response:
    db = db_session()
    with saving() as saved:
        badge = assign_card(db, server_keys(), field("worker"), field("uid"), actor())
        saved.done(_("The card was given to %(code)s.", code=badge.worker.code))
    return redirect(url_for("admin.badges", worker=field("worker")))


@admin.route("/badges/qr", methods=["POST"])
@allow(ADMIN)
def badges_qr() -> Response | str:
    db = db_session()
    with saving() as saved:
        badge, secret = assign_qr(db, field("worker"), actor())
    if not saved.ok:
        return redirect(url_for("admin.badges"))
    return render_template("admin/badge_qr.html", badge=badge, qr=qr_svg(secret))


@admin.route("/badges/sheet", methods=["POST"])
@allow(ADMIN)
def badges_sheet() -> Response | str:
    """Step 1 (`step=check`) lists the QR badges in use the sheet would replace; step 2
    (`step=print`) carries the ids HR was shown and, when any, the confirmation box, and
    revokes them as it makes the PDF. A list that changed in between is shown again."""
    db = db_session()
    codes = request.form.getlist("workers")
    shop = field("workshop")
    if not any(codes):
        failed(ServiceError(_("Choose at least one worker for the sheet.")))
        return redirect(url_for("admin.badges", workshop=shop))
    try:
        replaced = service.sheet_replacements(db, codes)
    except ServiceError as error:
        failed(error)
        return redirect(url_for("admin.badges", workshop=shop))
    shown = _ids(request.form.getlist("replace"))
    current = {badge_id for r in replaced for badge_id in r.badge_ids}
    if field("step") == "print" and shown == current \
            and (not current or field("replace_ok") == "1"):
        with saving() as saved:
            pdf = service.badge_sheet(db, codes, photo_dir(), actor(),
                                      font=app_config().pdf_font, replace=shown)
            if shown:
                saved.done(_("The sheet was made; %(count)s old QR badges were revoked.",
                             count=len(shown)))
        if saved.ok:
            return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                             as_attachment=True, download_name="badges.pdf")
        return redirect(url_for("admin.badges", workshop=shop))
    if field("step") == "print":
        if shown != current:
            failed(ServiceError(_("The QR badges of these workers changed since this page "
                                  "was shown; check the list again.")))
        else:
            failed(ServiceError(_("Tick the box to confirm that the QR badges listed "
                                  "stop working.")))
    workers = [people.get_worker(db, code) for code in dict.fromkeys(c for c in codes if c)]
    return render_template("admin/badge_sheet_confirm.html", workers=workers,
                           replaced=replaced, badge_count=len(current), workshop=shop)


def _ids(values: list[str]) -> set[int]:
    return {int(v) for v in values if v.isdigit() and len(v) < 19}


@admin.route("/badges/<int:badge_id>/revoke", methods=["POST"])
@allow(ADMIN)
def badges_revoke(badge_id: int) -> Response:
    db = db_session()
    with saving(not_found=404) as saved:
        badge = service.revoke_badge(db, badge_id, actor())
        saved.done(_("The badge of %(code)s was revoked; kiosks refuse it from their next "
                     "roster update.", code=badge.worker.code))
    return redirect(url_for("admin.badges", worker=arg("worker")))


@admin.route("/badges/taps")
@allow(ADMIN)
def badges_taps() -> str:
    taps = _taps()
    db_session().commit()  # reading forgets the taps older than a day
    return render_template("admin/_taps.html", taps=taps)


def _taps() -> list[service.Tap]:
    config = app_config()
    return service.unknown_taps(db_session(), arg("kiosk") or None,
                                card_format=config.card_format,
                                card_reversed=config.card_reversed)


@admin.route("/badges/taps/<int:tap_id>", methods=["POST"])
@allow(ADMIN)
def badges_tap_assign(tap_id: int) -> Response:
    db = db_session()
    with saving() as saved:
        badge = service.assign_tapped(db, tap_id, field("worker"), actor())
        saved.done(_("The card tapped at the kiosk was given to %(code)s.",
                     code=badge.worker.code))
    return redirect(url_for("admin.badges", kiosk=arg("kiosk")))
