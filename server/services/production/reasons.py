"""The fault and quality reasons HR keeps: add, edit (names, picture, order, active), the
list a kiosk is sent, and a reason's name for a stored code.

A reason's `code` and `kind` never change once made (old alerts keep the code); a reason
no longer wanted is made inactive, so kiosks stop offering it but old alerts keep their
names. Every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AlertKind, FaultReason
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.pictograms import DEFAULT_REASON, checked
from server.services.refusals import N_, Refused

_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MAX_SORT = 9999


@dataclass(frozen=True)
class ReasonSpec:
    name: str
    name_en: str | None = None
    pictogram: str = DEFAULT_REASON
    sort: int = 0
    active: bool = True


def _checked(spec: ReasonSpec) -> ReasonSpec:
    name = spec.name.strip()
    if not name or len(name) > 100:
        raise Refused(N_("A reason needs a name of 1 to 100 characters."))
    name_en = (spec.name_en or "").strip() or None
    if name_en is not None and len(name_en) > 100:
        raise Refused(N_("A reason needs a name of 1 to 100 characters."))
    if not 0 <= spec.sort <= MAX_SORT:
        raise InvalidInput(f"sort: 0 to {MAX_SORT}")
    return ReasonSpec(name=name, name_en=name_en,
                      pictogram=checked(spec.pictogram, DEFAULT_REASON), sort=spec.sort,
                      active=spec.active)


def _state(reason: FaultReason) -> dict[str, Any]:
    return {"name": reason.name, "name_en": reason.name_en, "kind": reason.kind.value,
            "pictogram": reason.pictogram, "sort": reason.sort, "active": reason.active}


def kind_of(text: str) -> AlertKind:
    try:
        return AlertKind(text)
    except ValueError:
        raise Refused(N_("Choose machine fault or quality issue.")) from None


def list_reasons(session: Session, *, active_only: bool = False) -> list[FaultReason]:
    query = select(FaultReason).order_by(FaultReason.active.desc(), FaultReason.kind,
                                         FaultReason.sort, FaultReason.code)
    if active_only:
        query = query.where(FaultReason.active.is_(True))
    return list(session.scalars(query))


def get_reason(session: Session, reason_id: int) -> FaultReason:
    reason = session.get(FaultReason, reason_id)
    if reason is None:
        raise NotFound(f"no reason {reason_id}")
    return reason


def add_reason(session: Session, code: str, kind: AlertKind, spec: ReasonSpec,
               actor: str) -> FaultReason:
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput("code: 1 to 32 letters, digits, '_', '-' or '.'")
    spec = _checked(spec)
    if session.scalars(select(FaultReason.id).where(FaultReason.code == code)).first():
        raise Conflict(f"reason {code!r} exists already")
    reason = FaultReason(code=code, kind=kind, name=spec.name, name_en=spec.name_en,
                         pictogram=spec.pictogram, sort=spec.sort, active=spec.active)
    session.add(reason)
    session.flush()
    record(session, actor, "reason.add", "fault_reason", code, after=_state(reason))
    return reason


def update_reason(session: Session, reason_id: int, spec: ReasonSpec,
                  actor: str) -> FaultReason:
    reason = get_reason(session, reason_id)
    spec = _checked(spec)
    before = _state(reason)
    reason.name, reason.name_en, reason.pictogram = spec.name, spec.name_en, spec.pictogram
    reason.sort, reason.active = spec.sort, spec.active
    after = _state(reason)
    if after != before:
        record(session, actor, "reason.update", "fault_reason", reason.code, before=before,
               after=after)
    return reason


def reason_dict(reason: FaultReason) -> dict[str, Any]:
    """What a kiosk is told of a reason (the roster's `reasons`)."""
    return {"code": reason.code, "name": reason.name, "name_en": reason.name_en,
            "kind": reason.kind.value, "pictogram": reason.pictogram}


def names_by_code(session: Session) -> dict[str, FaultReason]:
    """Every reason, active or not, by code: what a stored alert's code is called."""
    return {r.code: r for r in session.scalars(select(FaultReason))}
