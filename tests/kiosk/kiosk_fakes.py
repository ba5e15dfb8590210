"""Small behaving fakes and sample data for kiosk tests."""

from __future__ import annotations

import base64
import functools
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PIL import Image, ImageDraw

from kiosk.clock import Reading
from kiosk.events import qr_credential
from shopfloor_trust.cards import card_digest
from shopfloor_trust.pins import pin_check
from shopfloor_trust.seal import SealRefused, item_digest, key_id, open_seal

ZHANG_UID = bytes.fromhex("04a1b2c3d4e5f6")
ALICE_QR = "QR-ALICE-7f3a9c"
LI_UID = bytes.fromhex("0badc0de")
SUPERVISOR_PIN = "2580"

# The test server's keys: the site key every card digest of the sample roster is made
# with, and the sealing key pair (the private half is the server's alone).
SITE_KEY = bytes(range(32))
SEALING_PRIVATE = X25519PrivateKey.from_private_bytes(bytes(range(100, 132)))
SEALING_PUBLIC = SEALING_PRIVATE.public_key().public_bytes_raw()
TEST_KEYS = {"site_key": base64.b64encode(SITE_KEY).decode(),
             "sealing_key": base64.b64encode(SEALING_PUBLIC).decode(),
             "sealing_key_id": key_id(SEALING_PUBLIC)}


@functools.cache
def card_credential(uid: bytes) -> str:
    """The roster's digest of a card (keyed with the test site key, as the server makes it
    and as the kiosk's reader computes it with `Store.card_credential`)."""
    return card_digest(uid.hex(), SITE_KEY)


def give_test_keys(store: Any) -> None:
    """The test server's keys into ``store``, as enrolment hands them over."""
    store.save_keys(TEST_KEYS)


def roster_json() -> dict[str, Any]:
    """The sample roster as the server sends it: keyed card digests, and for supervisors
    no PIN hash but a typo check of SUPERVISOR_PIN, a lock flag and a PIN epoch."""
    def worker(code, name, lang, role="worker", badges=(), pin=None):
        return {"code": code, "name": name, "language": lang, "role": role, "workshop": "W1",
                "photo_url": None, "badges": list(badges),
                "pin_check": pin_check(code, pin) if pin else None, "pin_locked": False,
                "pin_epoch": 0}

    workers = [
        worker("W001", "张三", "zh_CN",
               badges=[{"kind": "card", "hash": card_credential(ZHANG_UID)}]),
        worker("W002", "Alice Smith", "en",
               badges=[{"kind": "qr", "hash": qr_credential(ALICE_QR)}]),
        worker("S001", "李班长", "zh_CN", role="supervisor", pin=SUPERVISOR_PIN,
               badges=[{"kind": "card", "hash": card_credential(LI_UID)}]),
    ]
    workers[0]["photo_url"] = "/api/v1/workers/W001/photo"
    workers += [worker(f"W1{i:02d}", name, "zh_CN") for i, name in enumerate(
        ["王芳", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷", "徐明", "孙丽", "马超"])]
    workers[3]["photo_url"] = "/api/v1/workers/W100/photo"
    return {
        "kiosk": "Line 3 kiosk",
        "workshops": [{"code": "W1", "name": "机加工车间"}],
        "workers": workers,
        "machines": [{"code": f"M{i}", "name": n, "workshop": "W1"} for i, n in enumerate(
            ["1号车床", "2号车床", "铣床 A", "冲压机", "注塑机 3", "钻床"], start=1)],
        "categories": [
            {"code": "FIX", "name": "处理机器故障", "name_en": "Fixed a machine fault",
             "level": "A", "points": 10, "needs_approval": True},
            {"code": "HELP", "name": "帮助同事", "name_en": "Helped a colleague", "level": "B",
             "points": 5, "needs_approval": True},
            {"code": "IDEA", "name": "改善建议", "name_en": "Improvement idea", "level": "A",
             "points": 20, "needs_approval": True},
            {"code": "CLEAN", "name": "5S 整理", "name_en": "5S tidy-up", "level": "C",
             "points": 2, "needs_approval": False},
        ],
    }


def scorecard_json(code: str = "W001", period: str = "week") -> dict[str, Any]:
    days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]

    def daily(values: list[float]) -> list[dict[str, Any]]:
        return [{"date": d, "value": v} for d, v in zip(days, values, strict=True)]

    def daily_met(met: str) -> dict[str, bool]:  # "+-" : met, missed (as the server judged)
        return {d: m == "+" for d, m in zip(days, met, strict=True)}

    return {
        "worker": {"code": code, "name": "张三", "language": "zh_CN", "workshop": "W1"},
        "period": period, "period_start": "2026-11-16", "period_end": "2026-11-22",
        "scheme": {"name": "机加工车间 2026", "version": 3, "mode": "threshold"},
        "total": 85.0, "max_total": 100.0, "complete": True,
        "dimensions": [
            {"key": "uptime", "value": 0.82, "target": 0.75, "met": True, "points": 60.0,
             "max_points": 60.0, "no_data": False, "record_ids": [1, 2, 3],
             "daily": daily([0.8, 0.7, 0.9, 0.85, 0.86]), "daily_met": daily_met("+-+++"),
             "better": "higher", "unit": "percent"},
            {"key": "defect_rate", "value": 0.041, "target": 0.03, "met": False, "points": 0.0,
             "max_points": 30.0, "no_data": False, "record_ids": [4],
             "daily": daily([0.02, 0.05, 0.03, 0.06, 0.04]), "daily_met": daily_met("+-+--"),
             "better": "lower", "unit": "percent"},
            {"key": "output", "value": 950, "target": 900, "met": True, "points": 10.0,
             "max_points": 10.0, "no_data": False, "record_ids": [],
             "daily": daily([180, 200, 190, 185, 195]), "daily_met": daily_met("-----"),
             "better": "higher", "unit": "count"},
            {"key": "training", "value": None, "target": 1.0, "met": False, "points": 0.0,
             "max_points": 10.0, "no_data": True, "record_ids": [], "daily": [],
             "daily_met": {}, "better": "higher", "unit": "percent"},
        ],
        "hourly_points": 12.0, "point_entries_total": 10.0, "rank": 3, "rank_of": 40,
        "tier": {"key": "good", "name": "良好"},
        "next_tier": {"key": "excellent", "points_needed": 7.5},
        "today_points": 5.0, "projected_total": 90.0, "projected_tier": "excellent",
        "tasks": {"since": "2026-11-13T08:00:00+00:00", "last_visit": None, "videos_due": [],
                  "claims_decided": [], "appeals_answered": []},
    }


LONG_REWARD = "带公司标志的加厚纯棉大号浴巾（蓝色，限量款）"


def rewards_json() -> list[dict[str, Any]]:
    def reward(code, name, name_en, cost, stock=None, tier=None, picture=None):
        return {"code": code, "name": name, "name_en": name_en, "cost": cost, "stock": stock,
                "tier": tier, "approval": False, "picture": picture}

    return [
        reward("TOWEL", "毛巾", "Towel", 50, picture="/api/v1/rewards/TOWEL/picture"),
        {**reward("DAYOFF", "调休半天", "Half a day off", 200, tier="excellent"),
         "approval": True},
        reward("BATH", LONG_REWARD, "Extra-thick cotton bath towel with the company logo "
               "(blue, limited)", 12000),
        reward("MUG", "水杯", "Mug", 30, stock=0),
        reward("COURSE", "技能培训课程", "Skills course", 100),
    ]


def points_json(code: str = "W001", balance: float = 120.0) -> dict[str, Any]:
    return {
        "worker": code, "balance": balance,
        "lines": [
            {"id": 3, "at": "2026-11-20T10:00:00+08:00", "points": 10, "source": "remark",
             "reason": "帮助同事", "category": "HELP"},
            {"id": 2, "at": "2026-11-19T09:00:00+08:00", "points": -50,
             "source": "redemption", "reason": "毛巾", "category": None},
            {"id": 1, "at": "2026-11-18T15:00:00+08:00", "points": 20, "source": "claim",
             "reason": "改善建议", "category": "IDEA"},
        ],
        "entitlements": [{"id": 7, "tier": "good", "tier_name": "良好", "period": "2026-10",
                          "rewards": ["COURSE", "TOWEL"]}],
        "redemptions": [],
    }


def photo_jpeg(hue: int = 0) -> bytes:
    """A small portrait-shaped picture standing in for a worker's photo."""
    image = Image.new("RGB", (200, 260), (70 + hue, 130, 180))
    draw = ImageDraw.Draw(image)
    draw.ellipse((50, 40, 150, 150), fill=(235, 200, 170))
    draw.rectangle((30, 170, 170, 260), fill=(40, 60, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class FakeSpeaker:
    def __init__(self) -> None:
        self.said: list[tuple[str, list[tuple[str, str]]]] = []

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def say(self, lang: str, parts: Sequence[tuple[str, str]]) -> None:
        self.said.append((lang, list(parts)))


class FakeSync:
    def __init__(self) -> None:
        self.kicks = 0
        self.scorecards: list[tuple[str, str]] = []
        self.claims: list[str] = []
        self.enrolments: list[str] = []
        self.points: list[str] = []
        self.rewards = 0
        self.redemptions: list[str] = []
        self.alerts: list[str] = []
        self.growth: list[str] = []

    def request_growth(self, worker: str) -> None:
        self.growth.append(worker)

    def request_points(self, worker: str) -> None:
        self.points.append(worker)

    def request_rewards(self) -> None:
        self.rewards += 1

    def request_redemptions(self, workshop: str) -> None:
        self.redemptions.append(workshop)

    def request_alerts(self, workshop: str) -> None:
        self.alerts.append(workshop)

    def kick(self) -> None:
        self.kicks += 1

    def request_scorecard(self, worker: str, period: str) -> None:
        self.scorecards.append((worker, period))

    def request_claims(self, workshop: str) -> None:
        self.claims.append(workshop)

    def request_enrolment(self, code: str) -> None:
        self.enrolments.append(code)


class FakeServer:
    """Answers the kiosk API like the real server would, in memory; can be switched off."""

    def __init__(self) -> None:
        self.up = True
        self.events: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.roster = roster_json()
        self.etag = '"r1"'
        self.claims: list[dict[str, Any]] = []
        self.photo_downloads = 0
        self.balances: dict[str, float] = {"W001": 120.0}
        self.rewards = rewards_json()
        self.redemptions: list[dict[str, Any]] = []
        # The keys it hands kiosks (None: a server from before keys, no GET /keys).
        self.keys: dict[str, str] | None = dict(TEST_KEYS)
        # When set, answers carry a Date this far from the test's clock (seconds).
        self.clock_offset_s: float | None = None
        # When set, supervisors' acts must carry a proof that opens with this key and holds
        # the supervisor's PIN (self.pins), as the real server checks.
        self.sealing: X25519PrivateKey | None = None
        self.pins: dict[str, str] = {"S001": SUPERVISOR_PIN}

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self._handle(request)
        if self.clock_offset_s is not None:
            response.headers["Date"] = format_datetime(
                datetime.now(UTC) + timedelta(seconds=self.clock_offset_s), usegmt=True)
        return response

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path.removeprefix("/api/v1")
        if path == "/health":
            return httpx.Response(200, json={"status": "ok", "version": "t", "server_id": "s1"})
        if path == "/enroll":
            code = json.loads(request.content)["code"]
            if code != "GOOD-CODE":
                return httpx.Response(400, json={"error": {"code": "bad_code", "message": "no"}})
            return httpx.Response(200, json={"token": "tok-123", "server_id": "s1", "kiosk": {
                "name": "Kiosk A", "workshops": ["W1"]}, **({"keys": self.keys} if self.keys
                                                           else {})})
        if request.headers.get("Authorization") != "Bearer tok-123":
            return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "no"}})
        if path == "/keys" and self.keys is not None:
            return httpx.Response(200, json=self.keys)
        if path == "/roster":
            if request.headers.get("If-None-Match") == self.etag:
                return httpx.Response(304)
            return httpx.Response(200, json=self.roster, headers={"ETag": self.etag})
        if path.endswith("/points"):
            code = path.split("/")[2]
            return httpx.Response(200, json=points_json(code, self.balances.get(code, 0.0)))
        if path == "/rewards":
            etag = f'"rw{len(self.rewards)}"'
            if request.headers.get("If-None-Match") == etag:
                return httpx.Response(304, headers={"ETag": etag})
            return httpx.Response(200, json={"rewards": self.rewards}, headers={"ETag": etag})
        if path.endswith("/picture"):
            return httpx.Response(200, content=photo_jpeg(60),
                                  headers={"Content-Type": "image/jpeg"})
        if path == "/redemptions":
            return httpx.Response(200, json={"redemptions": self.redemptions})
        if path.endswith("/photo"):
            self.photo_downloads += 1
            return httpx.Response(200, content=photo_jpeg(), headers={"Content-Type": "image/jpeg"})
        if path.endswith("/scorecard"):
            code = path.split("/")[2]
            if code not in {w["code"] for w in self.roster["workers"]}:
                return httpx.Response(404, json={"error": {"code": "not_found", "message": code}})
            card = scorecard_json(code, request.url.params["period"])
            etag = f'"{code}-{card["total"]}"'
            if request.headers.get("If-None-Match") == etag:
                return httpx.Response(304, headers={"ETag": etag})
            return httpx.Response(200, json=card, headers={"ETag": etag})
        if path == "/events":
            return httpx.Response(200, json={"results": [
                self._store(e) for e in json.loads(request.content)["events"]]})
        if path == "/leaderboard":
            return httpx.Response(200, json={"workshop": request.url.params["workshop"],
                                             "period": request.url.params["period"],
                                             "standings": [{"worker": "W001", "rank": 1}]})
        if path == "/videos":
            return httpx.Response(200, json={"videos": [{"id": 1, "title": "安全培训"}]})
        if path == "/claims":
            return httpx.Response(200, json={"claims": self.claims})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})

    def _redeem(self, event: dict[str, Any]) -> str | None:
        """The server's checks of a redemption, in short: retired, entitlement, balance."""
        payload = event["payload"]
        reward = next((r for r in self.rewards if r["code"] == payload["reward"]), None)
        if reward is None:
            return f"payload.reward: {payload['reward']!r} is retired"
        if payload.get("entitlement") is not None:
            return None
        balance = self.balances.get(event["worker"], 0.0)
        if balance < reward["cost"]:
            return (f"payload.reward: too few points: {reward['code']!r} costs "
                    f"{reward['cost']:g}, {event['worker']!r} has {balance:g}")
        self.balances[event["worker"]] = balance - reward["cost"]
        return None

    def _proof(self, event: dict[str, Any]) -> str | None:
        """The real server's check of a supervisor's act, in short; a reason, or None."""
        signer = {"remark": "given_by", "claim_decision": "decided_by",
                  "reward_handover": "handed_by"}.get(event["kind"])
        if self.sealing is None or signer is None:
            return None
        proof = event.get("proof")
        if not isinstance(proof, dict):
            return "proof: missing"
        supervisor = event["payload"].get(signer)
        if proof.get("supervisor") != supervisor:
            return "proof: made by another supervisor"
        digest = item_digest(event["uuid"], event["worker"], event["occurred_at"],
                             event["payload"])
        if digest not in (proof.get("items") or []):
            return "proof: not made for this event"
        try:
            pin = open_seal(proof, self.sealing, event["kind"])
        except SealRefused as exc:
            return str(exc)
        return None if pin == self.pins.get(str(supervisor)) else "proof: wrong PIN"

    def _store(self, event: dict[str, Any]) -> dict[str, Any]:
        if event["kind"] == "bogus":
            return {"uuid": event["uuid"], "status": "rejected", "reason": "unknown kind"}
        known = self.events.get(event["uuid"])
        refused = self._proof(event) if known is None else None
        if refused:
            return {"uuid": event["uuid"], "status": "rejected", "reason": refused}
        if known is None and event["kind"] == "reward_redeem":
            reason = self._redeem(event)
            if reason:
                return {"uuid": event["uuid"], "status": "rejected", "reason": reason}
        if known is None:
            self.events[event["uuid"]] = event
            return {"uuid": event["uuid"], "status": "accepted"}
        status = "duplicate" if known == event else "rejected"
        return {"uuid": event["uuid"], "status": status}


class FakeClock:
    """The kiosk's clock, set by hand: the wall clock, the seconds since boot, the boot."""

    def __init__(self, wall: float = 1_790_000_000.0, since_boot: float = 100.0,
                 boot_id: str = "boot-1") -> None:
        self.wall, self.since_boot, self.boot_id = wall, since_boot, boot_id

    def read(self) -> Reading:
        return Reading(self.wall, self.since_boot, self.boot_id)

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.since_boot += seconds

    def reboot(self, wall: float = 0.0) -> None:
        """A new boot: the count since boot starts again, the wall clock says ``wall``."""
        self.wall, self.since_boot, self.boot_id = wall, 1.0, self.boot_id + "+"
