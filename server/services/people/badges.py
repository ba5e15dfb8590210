"""Badges: give a worker an RFID/NFC card or a printed QR badge.

Only a digest is stored, never what a badge holds. A card's number (its UID, which is all
a clone card needs) is digested with the site key, slowly (`ServerKeys.card_digest`,
shopfloor_trust/cards.py): a roster, a database copy or a plain backup gives no card
away, and even a stolen kiosk (which holds the site key) costs ~25 ms of a core a guess.
A QR badge's secret is random (192 bits) and shown once, to print; sha256 of it is enough.
Cards enrolled before keyed digests keep their old sha256 (`BadgeDigest.LEGACY`) until
they are next tapped or given out again, when the digest is made keyed; a legacy digest
never goes to a kiosk.

HR's side: the list, revoking, a card tapped at a kiosk, badge sheets. "Tap at kiosk X
now": a kiosk reports a badge it does not know as a `badge_in` without a worker; for a
card it sends the number read (over the pinned TLS link). `note_unknown_tap` keeps it as
an `UnknownTap` for at most UNKNOWN_TAP_HOURS, never in the event, the audit log or a log
line, so HR can pick the tap and give the card to a worker without reading a UID off it; the
list shows the number as the site's cards print it (`printed_number`), to match the tap
to the card in hand.
Badge sheets issue a fresh QR badge per worker (a QR secret is shown only once) and lay
them out on A4 with photo and name, ready to print and cut. A worker's QR badges in use are
revoked when the sheet is made, and only those HR was shown (`sheet_replacements`) and
confirmed: a sheet never leaves an old QR badge working, nor replaces one silently.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import qrcode
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.models import (
    Badge,
    BadgeDigest,
    BadgeKind,
    Kiosk,
    UnknownTap,
    Worker,
    utcnow,
)
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.devices.keys import ServerKeys
from server.services.people.workers import get_worker, photo_file
from server.services.reports.pdf import new_document, output
from server.services.security import new_token, qr_credential_hash
from shopfloor_trust.cards import card_hex, legacy_card_digest, normalise_uid, printed_number

QR_SECRET_BYTES = 24
# How long the number of a card no worker holds is kept for HR's "tap at kiosk X now".
UNKNOWN_TAP_HOURS = 24
# How far back HR's list of taps reaches: the card was tapped just now.
TAP_WINDOW = timedelta(minutes=10)
MAX_CARD_DIGITS = 64  # UnknownTap.number: a UID of up to 32 bytes


def _worker(session: Session, code: str) -> Worker:
    worker = session.scalars(select(Worker).where(Worker.code == code)).first()
    if worker is None:
        raise NotFound(f"no worker {code!r}")
    return worker


def _badge(session: Session, digest: str) -> Badge | None:
    return session.scalars(select(Badge).where(Badge.credential_hash == digest)).first()


def _audit_assign(session: Session, badge: Badge, actor: str) -> None:
    # The kind and the holder only: a digest of a card is a card to whoever has the key.
    record(session, actor, "badge.assign", "badge", badge.id,
           after={"worker_id": badge.worker_id, "kind": badge.kind.value})


def _upgrade(session: Session, badge: Badge, keyed: str, actor: str) -> Badge:
    """A legacy card badge (sha256 of its number) takes the keyed digest of the number."""
    badge.credential_hash, badge.digest = keyed, BadgeDigest.KEYED
    session.flush()
    record(session, actor, "badge.upgrade", "badge", badge.id,
           after={"worker_id": badge.worker_id, "kind": badge.kind.value, "keyed": True})
    return badge


def _card_badge(session: Session, keys: ServerKeys, number: str, actor: str
                ) -> tuple[Badge | None, str]:
    """The badge of the card with this (normalised) number, a legacy one upgraded on the
    way, and the card's keyed digest."""
    keyed = keys.card_digest(number)
    badge = _badge(session, keyed)
    if badge is None:
        legacy = _badge(session, legacy_card_digest(number))
        if legacy is not None and legacy.digest is BadgeDigest.LEGACY:
            badge = _upgrade(session, legacy, keyed, actor)
    return badge, keyed


def _assign(session: Session, worker: Worker, kind: BadgeKind, digest: str,
            digest_kind: BadgeDigest, actor: str, badge: Badge | None = None) -> Badge:
    badge = badge if badge is not None else _badge(session, digest)
    if badge is not None and badge.revoked_at is None:
        if badge.worker_id == worker.id:
            return badge
        raise Conflict(f"this badge already belongs to worker {badge.worker.code}")
    if badge is None:
        badge = Badge(worker=worker, kind=kind, credential_hash=digest, digest=digest_kind)
        session.add(badge)
    else:  # a revoked badge handed out again
        badge.worker, badge.revoked_at = worker, None
    session.flush()
    _audit_assign(session, badge, actor)
    return badge


def assign_card(session: Session, keys: ServerKeys, worker_code: str, uid: str,
                actor: str) -> Badge:
    """Give the card with hex `uid` (any case, ':' and spaces ignored) to the worker; its
    number is kept only as the keyed digest."""
    try:
        number = normalise_uid(uid)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    worker = _worker(session, worker_code)
    badge, keyed = _card_badge(session, keys, number, actor)
    return _assign(session, worker, BadgeKind.CARD, keyed, BadgeDigest.KEYED, actor, badge)


@dataclass(frozen=True)
class KnownCard:
    """What the site knows of one card number: its keyed digest, its badge (keyed, or a
    legacy one that assigning upgrades; revoked or not) and who holds it now, if anyone."""

    number: str
    digest: str
    badge: Badge | None

    @property
    def holder(self) -> Worker | None:
        """The worker whose active badge this card is (active or not as a worker)."""
        if self.badge is None or self.badge.revoked_at is not None:
            return None
        return self.badge.worker


def look_up_cards(session: Session, keys: ServerKeys, numbers: Iterable[str]
                  ) -> dict[str, KnownCard]:
    """Each card number (normalised hex, `normalise_uid`) with its keyed digest and badge;
    reads only. A digest costs ~25 ms (shopfloor_trust/cards.py): 2,000 cards, ~50 s."""
    found: dict[str, KnownCard] = {}
    for number in dict.fromkeys(numbers):
        keyed = keys.card_digest(number)
        badge = _badge(session, keyed)
        if badge is None:
            legacy = _badge(session, legacy_card_digest(number))
            if legacy is not None and legacy.digest is BadgeDigest.LEGACY:
                badge = legacy
        found[number] = KnownCard(number, keyed, badge)
    return found


@dataclass(frozen=True)
class CardsAssigned:
    assigned: int  # cards given to a worker who did not hold them
    unchanged: int  # cards the worker held already
    replaced: int  # other cards of those workers, revoked


def assign_cards(session: Session, cards: Sequence[tuple[Worker, KnownCard]],
                 actor: str) -> CardsAssigned:
    """Give each worker its card (in bulk: `badge import`, the workers import's card
    column): the card is the worker's one card, so the worker's other active card badges
    are revoked (QR badges stay). A card another worker holds raises Conflict: check
    `KnownCard.holder` first to name the row. Each change is audited as `assign_card`
    audits it, never with the number or digest. Flushes; the caller commits."""
    for worker, card in cards:
        if card.holder is not None and card.holder.id != worker.id:
            raise Conflict(f"this badge already belongs to worker {card.holder.code}")
    assigned = unchanged = replaced = 0
    keep = {card.badge.id for _, card in cards if card.badge is not None}
    for worker, _card in cards:
        for other in list_badges(session, worker.code):
            if other.kind is BadgeKind.CARD and other.id not in keep:
                revoke_badge(session, other.id, actor)
                replaced += 1
    for worker, card in cards:
        badge = card.badge
        if badge is not None and badge.digest is BadgeDigest.LEGACY:
            badge = _upgrade(session, badge, card.digest, actor)
        if badge is not None and badge.revoked_at is None and badge.worker_id == worker.id:
            unchanged += 1
            continue
        _assign(session, worker, BadgeKind.CARD, card.digest, BadgeDigest.KEYED, actor, badge)
        assigned += 1
    session.flush()
    return CardsAssigned(assigned, unchanged, replaced)


def assign_qr(session: Session, worker_code: str, actor: str) -> tuple[Badge, str]:
    """A new QR badge; returns the secret to print. It cannot be shown again."""
    worker = _worker(session, worker_code)
    secret = new_token(QR_SECRET_BYTES)
    return _assign(session, worker, BadgeKind.QR, qr_credential_hash(secret),
                   BadgeDigest.SHA256, actor), secret


def qr_png(secret: str) -> bytes:
    """The QR badge as a PNG, for the CLI's --png and the admin's badge sheets."""
    image = qrcode.make(secret, border=2, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


SHEET_COLUMNS, SHEET_ROWS = 3, 4
CARD_W, CARD_H = 60.0, 66.0


def list_badges(session: Session, worker_code: str = "",
                include_revoked: bool = False) -> list[Badge]:
    query = select(Badge).join(Worker).order_by(Worker.code, Badge.created_at.desc())
    if worker_code:
        query = query.where(Worker.code == worker_code)
    if not include_revoked:
        query = query.where(Badge.revoked_at.is_(None))
    return list(session.scalars(query))


def revoke_badge(session: Session, badge_id: int, actor: str,
                 now: datetime | None = None) -> Badge:
    badge = session.get(Badge, badge_id)
    if badge is None:
        raise NotFound(f"no badge {badge_id}")
    _revoke(session, badge, actor, now)
    return badge


def _revoke(session: Session, badge: Badge, actor: str, now: datetime | None = None,
            **why: str) -> None:
    if badge.revoked_at is None:
        badge.revoked_at = now or utcnow()
        record(session, actor, "badge.revoke", "badge", badge.id,
               after={"worker_id": badge.worker_id, "kind": badge.kind.value, **why})


# --- badges no worker holds, tapped at a kiosk ------------------------------------------


def forget_old_taps(session: Session, now: datetime | None = None) -> None:
    """Delete unknown taps (and the card numbers they hold) older than UNKNOWN_TAP_HOURS;
    run on every write and every read of them."""
    since = (now or utcnow()) - timedelta(hours=UNKNOWN_TAP_HOURS)
    session.execute(delete(UnknownTap).where(UnknownTap.seen_at < since))


def note_unknown_tap(session: Session, keys: ServerKeys, kiosk: Kiosk, *, kind: str,
                     number: str | None, digest: str | None, event_uuid: str,
                     at: datetime) -> Worker | None:
    """A `badge_in` without a worker from `kiosk`: whose badge it is after all, or None
    when nobody's, after keeping it for HR's "tap at kiosk X now".

    A card's `number` (hex, read at the kiosk) is digested with the site key. A card
    enrolled before keyed digests (a LEGACY badge) is upgraded and its holder returned;
    so is the holder of an active keyed badge (a kiosk with a stale roster). Otherwise an
    `UnknownTap` keeps the number and its keyed digest (a QR badge: its sha256 `digest`)
    for at most UNKNOWN_TAP_HOURS. A kiosk from before keyed digests sends a card's
    sha256 as `digest` and no number: its legacy badge is still recognised, but an
    unknown one is not kept (without the number no keyed digest can be made). The number
    is never logged nor audited. Raises ValueError (naming no digit) when `number` is not
    hex. The caller stores the event, never with the number, and commits.
    """
    forget_old_taps(session)
    actor = f"kiosk:{kiosk.name}"
    if kind == BadgeKind.CARD.value and number:
        card_number = normalise_uid(number)
        if len(card_number) > MAX_CARD_DIGITS:
            raise ValueError(f"a card number has at most {MAX_CARD_DIGITS} hex digits")
        badge, keyed = _card_badge(session, keys, card_number, actor)
        kept: tuple[str | None, str] | None = (card_number, keyed)
    elif digest:
        badge = _badge(session, digest)
        if (kind == BadgeKind.CARD.value and badge is not None
                and badge.digest is not BadgeDigest.LEGACY):
            badge = None  # a card's sha256 names only a legacy badge
        kept = (None, digest) if kind == BadgeKind.QR.value else None
    else:
        return None
    if badge is not None and badge.revoked_at is None and badge.worker.active:
        return badge.worker
    if kept is not None:
        session.add(UnknownTap(kiosk_id=kiosk.id, kind=kind, number=kept[0], digest=kept[1],
                               event_uuid=event_uuid, seen_at=at))
        session.flush()
    return None


@dataclass(frozen=True)
class Tap:
    tap_id: int
    kiosk: str
    at: datetime
    kind: str
    known_as: str | None
    # A card's number as the site's cards print it (None for a QR badge), and its whole
    # UID in hex when it has more bytes than that number shows (a 7-byte PC/SC card).
    printed: str | None = None
    uid: str | None = None


def _printed(number: str | None, fmt: str, reverse: bool) -> tuple[str | None, str | None]:
    """The printed number of a card tapped as hex `number`, and the hex too when the
    printed number does not hold every byte of it."""
    if not number:
        return None, None
    printed = printed_number(number, fmt, reverse=reverse)
    whole = card_hex(printed, fmt, reverse=reverse) == normalise_uid(number)
    return printed, None if whole else normalise_uid(number)


def unknown_taps(session: Session, kiosk_name: str | None = None,
                 now: datetime | None = None, *, card_format: str = "10D",
                 card_reversed: bool = False) -> list[Tap]:
    """Badges no worker has, tapped in the last ten minutes, newest first, each badge
    once. A badge given out meanwhile drops off the list; a revoked one names its last
    holder. A card's number is given as the site's cards print it (`card_format`,
    `card_reversed`: Config), so HR can match the tap to the card in hand."""
    now = now or utcnow()
    forget_old_taps(session, now)
    query = (select(UnknownTap, Kiosk.name).join(Kiosk, UnknownTap.kiosk_id == Kiosk.id)
             .where(UnknownTap.seen_at >= now - TAP_WINDOW)
             .order_by(UnknownTap.seen_at.desc(), UnknownTap.id.desc()))
    if kiosk_name:
        query = query.where(Kiosk.name == kiosk_name)
    taps: list[Tap] = []
    seen: set[str] = set()
    for tap, name in session.execute(query):
        if tap.digest in seen:
            continue
        seen.add(tap.digest)
        owner = _badge(session, tap.digest)
        if owner is not None and owner.revoked_at is None:
            continue
        printed, uid = _printed(tap.number if tap.kind == BadgeKind.CARD.value else None,
                                card_format, card_reversed)
        taps.append(Tap(tap.id, name, tap.seen_at, tap.kind,
                        owner.worker.code if owner is not None else None, printed, uid))
    return taps


def assign_tapped(session: Session, tap_id: int, worker_code: str, actor: str) -> Badge:
    """Give the badge of an unknown tap to a worker (a revoked one may be handed out
    again). The taps of that badge are forgotten: its number is no longer needed."""
    forget_old_taps(session)
    tap = session.get(UnknownTap, tap_id)
    if tap is None:
        raise NotFound("that tap is not an unknown badge (or was more than "
                       f"{UNKNOWN_TAP_HOURS} hours ago)")
    worker = get_worker(session, worker_code)
    if not worker.active:
        raise InvalidInput(f"worker {worker_code} is not active")
    kind = BadgeKind.QR if tap.kind == BadgeKind.QR.value else BadgeKind.CARD
    badge = _assign(session, worker, kind, tap.digest,
                    BadgeDigest.SHA256 if kind is BadgeKind.QR else BadgeDigest.KEYED, actor)
    for same in session.scalars(select(UnknownTap).where(UnknownTap.digest == tap.digest)):
        session.delete(same)
    session.flush()
    return badge


@dataclass(frozen=True)
class Replaced:
    """A worker on a badge sheet whose QR badges in use the sheet revokes."""

    code: str
    name: str
    badge_ids: tuple[int, ...]
    issued: tuple[datetime, ...]


def _sheet_workers(session: Session, worker_codes: Collection[str]) -> list[Worker]:
    codes = list(dict.fromkeys(c for c in worker_codes if c))
    if not codes:
        raise InvalidInput("choose at least one worker")
    return [get_worker(session, code) for code in codes]


def _qr_in_use(worker: Worker) -> list[Badge]:
    return sorted((b for b in worker.badges if b.kind is BadgeKind.QR and b.revoked_at is None),
                  key=lambda b: b.id)


def sheet_replacements(session: Session, worker_codes: Collection[str]) -> list[Replaced]:
    """The workers among `worker_codes` who hold QR badges in use, with those badges: what
    a badge sheet for them revokes. NotFound for an unknown code."""
    replaced = []
    for worker in _sheet_workers(session, worker_codes):
        if current := _qr_in_use(worker):
            replaced.append(Replaced(worker.code, worker.name, tuple(b.id for b in current),
                                     tuple(b.created_at for b in current)))
    return replaced


def badge_sheet(session: Session, worker_codes: Collection[str], photo_dir: Path,
                actor: str, *, font: str | None = None, replace: Collection[int] = (),
                now: datetime | None = None) -> bytes:
    """A new QR badge for each worker, printed as an A4 PDF: photo, name, code, QR;
    `font` is the configured PDF font (`Config.pdf_font`).

    The workers' QR badges in use are revoked (audited, `replaced_by: badge_sheet`), so an
    old badge stops working once the new ones are printed. `replace` names the badge ids
    HR was shown (`sheet_replacements`) and confirmed: it must be exactly those, or
    Conflict, and nothing is issued, so a sheet never replaces a badge nobody was told of
    (one issued since the page was shown, say) and cannot revoke any other badge."""
    workers = _sheet_workers(session, worker_codes)
    current = {b.id: b for w in workers for b in _qr_in_use(w)}
    if set(current) != set(replace):
        raise Conflict("the QR badges these workers hold changed since the list of badges "
                       "to replace was shown; check the list again")
    for badge in current.values():
        _revoke(session, badge, actor, now, replaced_by="badge_sheet")
    session.flush()
    pdf = new_document(font=font)
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, worker in enumerate(workers):
        _badge, secret = assign_qr(session, worker.code, actor)
        if index % per_page == 0:
            pdf.add_page()
        col, row = index % SHEET_COLUMNS, (index % per_page) // SHEET_COLUMNS
        x, y = 12 + col * (CARD_W + 3), 12 + row * (CARD_H + 3)
        pdf.set_draw_color(180, 180, 180)
        pdf.rect(x, y, CARD_W, CARD_H)
        photo = photo_file(worker, photo_dir)
        if photo is not None:
            pdf.image(str(photo), x=x + 3, y=y + 3, w=22, h=22, keep_aspect_ratio=True)
        pdf.set_xy(x + 27, y + 5)
        pdf.set_font_size(16)
        pdf.multi_cell(CARD_W - 29, 7, worker.name, new_x="LEFT", new_y="NEXT")
        pdf.set_font_size(10)
        pdf.set_x(x + 27)
        pdf.cell(CARD_W - 29, 5, f"{worker.code} · {worker.workshop.name}"[:40])
        pdf.image(qr_png(secret), x=x + (CARD_W - 36) / 2, y=y + 27, w=36, h=36)
    return output(pdf)
