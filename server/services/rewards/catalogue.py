"""The reward catalogue HR keeps: add, edit, retire, pictures, and what a kiosk is sent.

A reward has a cost in points (above 0), optional stock (None: unlimited; never below
0), an optional tier restriction (only workers who held that tier in their workshop's last
closed period may redeem it), the tier menus that offer it, whether a supervisor or HR
approves it before hand-over, and a cash value when it is a cash choice (what the payroll
export adds for it). Retired rewards stay for the redemptions that name them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from server.models import Reward
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.images import normalised_jpeg
from server.services.pictograms import DEFAULT_REWARD, checked

PICTURE_SIZE = 400
MAX_COST = 100_000
MAX_STOCK = 1_000_000
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_TIER = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class RewardSpec:
    name: str
    cost: float
    name_en: str | None = None
    stock: int | None = None
    tier: str | None = None
    needs_approval: bool = False
    cash: float | None = None
    menus: tuple[str, ...] = field(default_factory=tuple)
    pictogram: str | None = None  # None: "gift" for a new reward, unchanged on an edit


def _checked(spec: RewardSpec) -> RewardSpec:
    name = spec.name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name: 1 to 100 characters")
    if spec.cost != spec.cost or not 0 < spec.cost <= MAX_COST:
        raise InvalidInput(f"cost: must be above 0 and at most {MAX_COST}")
    if spec.stock is not None and not 0 <= spec.stock <= MAX_STOCK:
        raise InvalidInput(f"stock: 0 to {MAX_STOCK}, or none for unlimited")
    for tier in (spec.tier, *spec.menus):
        if tier is not None and not _TIER.match(tier):
            raise InvalidInput(f"tier: {tier!r} is no tier key")
    if spec.cash is not None and (spec.cash != spec.cash or not 0 < spec.cash <= 1_000_000):
        raise InvalidInput("cash: above 0, or none")
    name_en = (spec.name_en or "").strip() or None
    return RewardSpec(name=name, cost=round(float(spec.cost), 2), name_en=name_en,
                      stock=spec.stock, tier=spec.tier or None,
                      needs_approval=spec.needs_approval, cash=spec.cash,
                      menus=tuple(dict.fromkeys(spec.menus)),
                      pictogram=None if spec.pictogram is None
                      else checked(spec.pictogram, DEFAULT_REWARD))


def _state(reward: Reward) -> dict[str, Any]:
    return {"name": reward.name, "name_en": reward.name_en, "cost": reward.cost,
            "stock": reward.stock, "tier": reward.tier, "menus": list(reward.menus or []),
            "approval": reward.needs_approval, "cash": reward.cash, "active": reward.active,
            "picture": reward.picture_sha256, "pictogram": reward.pictogram}


def get_reward(session: Session, code: str) -> Reward:
    reward = session.scalars(select(Reward).where(Reward.code == code)).first()
    if reward is None:
        raise NotFound(f"no reward {code!r}")
    return reward


def _set_picture(reward: Reward, data: bytes) -> None:
    jpeg = normalised_jpeg(data, PICTURE_SIZE, "picture")
    reward.picture = jpeg
    reward.picture_sha256 = hashlib.sha256(jpeg).hexdigest()


def add_reward(session: Session, code: str, spec: RewardSpec, actor: str,
               picture: bytes | None = None) -> Reward:
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput("code: 1 to 32 letters, digits, '_', '-' or '.'")
    spec = _checked(spec)
    if session.scalars(select(Reward.id).where(Reward.code == code)).first() is not None:
        raise Conflict(f"reward {code!r} exists already")
    reward = Reward(code=code, name=spec.name, name_en=spec.name_en, cost=spec.cost,
                    stock=spec.stock, tier=spec.tier, menus=list(spec.menus),
                    needs_approval=spec.needs_approval, cash=spec.cash, active=True,
                    pictogram=spec.pictogram or DEFAULT_REWARD)
    if picture:
        _set_picture(reward, picture)
    session.add(reward)
    session.flush()
    record(session, actor, "reward.add", "reward", code, after=_state(reward))
    return reward


def update_reward(session: Session, code: str, spec: RewardSpec, actor: str,
                  picture: bytes | None = None) -> Reward:
    reward = get_reward(session, code)
    spec = _checked(spec)
    before = _state(reward)
    reward.name, reward.name_en, reward.cost = spec.name, spec.name_en, spec.cost
    reward.stock, reward.tier, reward.menus = spec.stock, spec.tier, list(spec.menus)
    reward.needs_approval, reward.cash = spec.needs_approval, spec.cash
    if spec.pictogram is not None:
        reward.pictogram = spec.pictogram
    if picture:
        _set_picture(reward, picture)
    after = _state(reward)
    if after != before:
        record(session, actor, "reward.update", "reward", code, before=before, after=after)
    return reward


def retire_reward(session: Session, code: str, actor: str) -> Reward:
    reward = get_reward(session, code)
    if not reward.active:
        raise Conflict(f"reward {code!r} is retired already")
    reward.active = False
    record(session, actor, "reward.retire", "reward", code, before={"active": True},
           after={"active": False})
    return reward


def list_rewards(session: Session, *, active_only: bool = False) -> list[Reward]:
    query = select(Reward).order_by(Reward.active.desc(), Reward.cost, Reward.code)
    if active_only:
        query = query.where(Reward.active.is_(True))
    return list(session.scalars(query))


def reward_dict(reward: Reward, picture_url: str | None = None) -> dict[str, Any]:
    """What a kiosk and `reward list --json` are told of a reward; `picture` is the
    picture's URL, or without one its sha256 (null: no picture)."""
    return {"code": reward.code, "name": reward.name, "name_en": reward.name_en,
            "cost": reward.cost, "stock": reward.stock, "tier": reward.tier,
            "menus": list(reward.menus or []), "approval": reward.needs_approval,
            "cash": reward.cash, "active": reward.active, "pictogram": reward.pictogram,
            "picture": (picture_url or reward.picture_sha256) if reward.picture_sha256
            else None}


def kiosk_catalogue(session: Session, picture_url: str) -> dict[str, Any]:
    """The active rewards; `picture_url` has `{code}` and `{sha}` to fill in."""
    return {"rewards": [
        {key: value for key, value in reward_dict(
            reward, picture_url.format(code=reward.code, sha=(reward.picture_sha256 or "")[:12])
        ).items() if key not in ("menus", "cash", "active")}
        for reward in list_rewards(session, active_only=True)]}


def catalogue_etag(content: dict[str, Any]) -> str:
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def reward_picture(session: Session, code: str) -> bytes:
    reward = session.scalars(select(Reward).options(undefer(Reward.picture))
                             .where(Reward.code == code)).first()
    if reward is None or not reward.picture:
        raise NotFound(f"no picture for reward {code!r}")
    return reward.picture
