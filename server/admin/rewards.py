"""Points and rewards in the admin: the reward catalogue (admin edits it), the fulfilment
queue (approve, hand over, cancel with a refund; each asks for a confirmation first), and a
worker's points account (balance, history, HR lines, a leaver's payout or forfeit).

Supervisors see and act on their own workshops only; every change is audited by the
services it calls.
"""

from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, MANAGE, READ, admin, allow, scope
from server.admin.common import actor, field, number_field, saving, today
from server.models import Redemption, RedemptionState, Worker
from server.services import NotFound
from server.services.people.workers import get_worker
from server.services.points import ledger
from server.services.rewards import catalogue, redemptions
from server.web import db_session

ACTIONS = ("approve", "handover", "cancel")
NAMES = {
    "redemption_states": {"pending_approval": _l("waiting for approval"),
                          "pending": _l("waiting for hand-over"),
                          "handed_over": _l("handed over"), "cancelled": _l("cancelled")},
    "ledger_sources": {"remark": _l("remark"), "claim": _l("claim"), "hr": _l("HR"),
                       "tier_award": _l("tier award"), "redemption": _l("reward"),
                       "refund": _l("refund"), "adjustment": _l("adjustment"),
                       "payout": _l("paid out"), "forfeit": _l("forfeited")},
}


# --- the catalogue ---------------------------------------------------------------------


def _spec() -> catalogue.RewardSpec:
    stock = field("stock")
    cash = field("cash")
    return catalogue.RewardSpec(
        name=field("name"), name_en=field("name_en") or None, cost=number_field("cost"),
        stock=int(number_field("stock", integer=True)) if stock else None,
        tier=field("tier") or None, needs_approval=bool(field("approval")),
        cash=number_field("cash") if cash else None,
        menus=tuple(m.strip() for m in field("menus").split(",") if m.strip()),
        pictogram=field("pictogram") or None)


def _picture() -> bytes | None:
    upload = request.files.get("picture")
    return upload.read() if upload is not None and upload.filename else None


@admin.route("/rewards")
@allow(READ)
def rewards() -> str:
    return render_template("admin/rewards.html",
                           rows=catalogue.list_rewards(db_session()))


@admin.route("/rewards", methods=["POST"])
@allow(ADMIN)
def rewards_new() -> Response:
    with saving() as saved:
        reward = catalogue.add_reward(db_session(), field("code"), _spec(), actor(),
                                      _picture())
        saved.done(_("Reward %(code)s added.", code=reward.code))
    return redirect(url_for("admin.rewards"))


@admin.route("/rewards/<reward>/edit", methods=["GET", "POST"])
@allow(ADMIN)
def rewards_edit(reward: str) -> Response | str:
    db = db_session()
    if request.method == "POST":
        with saving(not_found=404) as saved:
            catalogue.update_reward(db, reward, _spec(), actor(), _picture())
            saved.done(_("Reward %(code)s saved.", code=reward))
        if saved.ok:
            return redirect(url_for("admin.rewards"))
    try:
        item = catalogue.get_reward(db, reward)
    except NotFound:
        abort(404)
    return render_template("admin/reward_edit.html", reward=item)


@admin.route("/rewards/<reward>/retire", methods=["POST"])
@allow(ADMIN)
def rewards_retire(reward: str) -> Response:
    with saving(not_found=404) as saved:
        catalogue.retire_reward(db_session(), reward, actor())
        saved.done(_("Reward %(code)s retired.", code=reward))
    return redirect(url_for("admin.rewards"))


@admin.route("/rewards/<reward>/picture.jpg")
@allow(READ)
def rewards_picture(reward: str) -> Response:
    try:
        jpeg = catalogue.reward_picture(db_session(), reward)
    except NotFound:
        abort(404)
    return send_file(io.BytesIO(jpeg), mimetype="image/jpeg", max_age=300)


# --- the fulfilment queue --------------------------------------------------------------


def _scoped_redemption(redemption_id: int) -> Redemption:
    found = db_session().get(Redemption, redemption_id)
    allowed = scope()
    if found is None or (allowed is not None and found.worker.workshop_id not in allowed):
        abort(404)
    return found


@admin.route("/redemptions")
@allow(READ)
def redemptions_queue() -> str:
    db = db_session()
    allowed = scope()
    done = field("state") == "closed" or request.args.get("state") == "closed"
    states = ((RedemptionState.HANDED_OVER, RedemptionState.CANCELLED) if done
              else redemptions.OPEN_STATES)
    rows = redemptions.queue(db, None if allowed is None else set(allowed), states)
    return render_template("admin/redemptions.html", rows=rows, closed=done, **NAMES)


@admin.route("/redemptions/<int:redemption_id>/<action>", methods=["POST"])
@allow(MANAGE)
def redemptions_act(redemption_id: int, action: str) -> Response | str:
    """Approve, hand over or cancel; the first post shows what will happen and asks to
    confirm, the confirmed one does it."""
    if action not in ACTIONS:
        abort(404)
    item = _scoped_redemption(redemption_id)
    if field("confirmed") != "1":
        return render_template("admin/redemption_confirm.html", item=item, action=action)
    db = db_session()
    with saving() as saved:
        if action == "approve":
            redemptions.approve(db, item, actor())
            saved.done(_("Approved: it can be handed over now."))
        elif action == "handover":
            redemptions.hand_over(db, item, actor(), field("note"))
            saved.done(_("Handed over."))
        else:
            redemptions.cancel(db, item, actor(), field("note"))
            saved.done(_("Cancelled; %(points)s points refunded.", points=f"{item.cost:g}"))
    return redirect(url_for("admin.redemptions_queue"))


# --- a worker's points account ---------------------------------------------------------


def _worker_or_404(code: str) -> Worker:
    try:
        return get_worker(db_session(), code, scope())
    except NotFound:
        abort(404)


@admin.route("/workers/<code>/points")
@allow(READ)
def worker_points(code: str) -> str:
    db = db_session()
    person = _worker_or_404(code)
    return render_template("admin/worker_points.html", worker=person,
                           balance=ledger.balance(db, person.id),
                           lines=ledger.history(db, person, limit=200), **NAMES)


@admin.route("/workers/<code>/points", methods=["POST"])
@allow(ADMIN)
def worker_points_add(code: str) -> Response:
    person = _worker_or_404(code)
    with saving() as saved:
        line = ledger.hr_line(db_session(), person.code, number_field("points"),
                              field("reason"), field("category") or None, actor(), today(),
                              user_id=_user_id())
        saved.done(_("%(points)s points booked.", points=f"{line.points:+g}"))
    return redirect(url_for("admin.worker_points", code=person.code))


@admin.route("/workers/<code>/points/settle", methods=["POST"])
@allow(ADMIN)
def worker_points_settle(code: str) -> Response | str:
    """A leaver's balance, paid out or forfeited, after a confirmation."""
    person = _worker_or_404(code)
    how = "forfeit" if field("how") == "forfeit" else "payout"
    if field("confirmed") != "1":
        return render_template("admin/points_settle_confirm.html", worker=person, how=how,
                               balance=ledger.balance(db_session(), person.id))
    with saving() as saved:
        ledger.settle_leaver(db_session(), person.code, how, actor(), field("note"))
        saved.done(_("The balance was paid out.") if how == "payout"
                   else _("The balance was forfeited."))
    return redirect(url_for("admin.worker_points", code=person.code))


def _user_id() -> int | None:
    user = getattr(current_user, "user", None)
    return getattr(user, "id", None)
