"""What a kiosk reads of points and rewards: a worker's account, the catalogue, the
hand-overs waiting in its workshops. Workshop scoping as for scorecards: another
workshop's worker is Forbidden (403), an unknown one NotFound (404)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.models import Kiosk, RedemptionState
from server.services.devices.roster import require_workshop, served_worker, served_workshop_ids
from server.services.points import ledger
from server.services.rewards import entitlements, redemptions
from server.services.rewards.catalogue import kiosk_catalogue

PICTURE_URL = "/api/v1/rewards/{code}/picture?v={sha}"


def worker_points(session: Session, kiosk: Kiosk, code: str) -> dict[str, Any]:
    worker = served_worker(session, kiosk, code)
    return {"worker": worker.code, "balance": ledger.balance(session, worker.id),
            "lines": ledger.history(session, worker),
            "entitlements": entitlements.open_for_worker(session, worker),
            "redemptions": redemptions.open_for_worker(session, worker)}


def catalogue(session: Session) -> dict[str, Any]:
    return kiosk_catalogue(session, PICTURE_URL)


def pending_handovers(session: Session, kiosk: Kiosk, workshop_code: str | None
                      ) -> list[dict[str, Any]]:
    if workshop_code is not None:
        require_workshop(kiosk, workshop_code)
        ids = {w.id for w in kiosk.workshops if w.code == workshop_code}
    else:
        ids = served_workshop_ids(kiosk)
    keys = ("uuid", "worker", "worker_name", "reward", "reward_name", "at", "state")
    return [{k: v for k, v in redemptions.redemption_dict(r).items() if k in keys}
            for r in redemptions.queue(session, ids, (RedemptionState.PENDING,))]
