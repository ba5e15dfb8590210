"""Helpers for tests of supervisors' sealed acts on the kiosk: a roster whose supervisor
is locked, has a new PIN epoch or a PIN from before (no typo check), PINs that fail the
typo check, long names, and a look into the outbox that leaves every item pending."""

from __future__ import annotations

from typing import Any

from kiosk_fakes import SUPERVISOR_PIN, roster_json

from kiosk.store import OutboxItem, Store
from shopfloor_trust.pins import pin_check

SUPERVISOR = "S001"
LONG_ZH = "欧阳娜娜·阿不都热合曼·买买提"
LONG_EN = "Maximilian Featherstonehaugh-Worthington"


def wrong_pin(code: str = SUPERVISOR, right: str = SUPERVISOR_PIN) -> str:
    """A PIN whose typo check differs from the right one's (so the kiosk counts it)."""
    return next(pin for pin in (f"{n:04d}" for n in range(10_000))
                if pin_check(code, pin) != pin_check(code, right))


def lucky_pin(code: str = SUPERVISOR, right: str = SUPERVISOR_PIN) -> str:
    """A wrong PIN that passes the typo check (1 in 64 do): only the server can tell."""
    return next(pin for pin in (f"{n:04d}" for n in range(10_000))
                if pin != right and pin_check(code, pin) == pin_check(code, right))


def supervised_roster(*, locked: bool = False, epoch: int = 0, check: bool = True,
                      lang: str = "zh_CN", names: bool = False) -> dict[str, Any]:
    """The sample roster with the supervisor S001 locked or not, in PIN epoch ``epoch``,
    with the typo check of SUPERVISOR_PIN or none (a PIN from before), speaking ``lang``;
    with ``names``, W100 and W101 have long names (Chinese, English)."""
    roster = roster_json()
    for worker in roster["workers"]:
        if worker["code"] == SUPERVISOR:
            worker.update(pin_locked=locked, pin_epoch=epoch, language=lang,
                          pin_check=pin_check(SUPERVISOR, SUPERVISOR_PIN) if check else None)
        elif names and worker["code"] == "W100":
            worker["name"] = LONG_ZH
        elif names and worker["code"] == "W101":
            worker["name"] = LONG_EN
    return roster


def use_roster(app: Any, roster: dict[str, Any]) -> None:
    """Cache ``roster`` as a sync would, and let the app read it."""
    app.ctx.store.save_roster(roster, '"r-test"')
    app.reload_roster()


def peek(store: Store, kind: str | None = None) -> list[OutboxItem]:
    """The outbox's pending items (of ``kind``), left pending."""
    items = store.claim_batch(500)
    for item in items:
        store.nack(item.uuid, "test peek")
    return [item for item in items if kind is None or item.kind == kind]
