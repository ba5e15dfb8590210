"""Small behaving fakes and sample data for kiosk tests."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import httpx
from argon2 import PasswordHasher
from PIL import Image, ImageDraw

from kiosk.events import card_credential, qr_credential

ZHANG_UID = bytes.fromhex("04a1b2c3d4e5f6")
ALICE_QR = "QR-ALICE-7f3a9c"
LI_UID = bytes.fromhex("0badc0de")
SUPERVISOR_PIN = "2580"
PIN_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(SUPERVISOR_PIN)


def roster_json() -> dict[str, Any]:
    def worker(code, name, lang, role="worker", badges=(), pin=None):
        return {"code": code, "name": name, "language": lang, "role": role, "workshop": "W1",
                "photo_url": None, "badges": list(badges), "pin_hash": pin}

    workers = [
        worker("W001", "张三", "zh_CN",
               badges=[{"kind": "card", "hash": card_credential(ZHANG_UID)}]),
        worker("W002", "Alice Smith", "en",
               badges=[{"kind": "qr", "hash": qr_credential(ALICE_QR)}]),
        worker("S001", "李班长", "zh_CN", role="supervisor", pin=PIN_HASH,
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

    def request_points(self, worker: str) -> None:
        self.points.append(worker)

    def request_rewards(self) -> None:
        self.rewards += 1

    def request_redemptions(self, workshop: str) -> None:
        self.redemptions.append(workshop)

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

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
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
                "name": "Kiosk A", "workshops": ["W1"]}})
        if request.headers.get("Authorization") != "Bearer tok-123":
            return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "no"}})
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

    def _store(self, event: dict[str, Any]) -> dict[str, Any]:
        if event["kind"] == "bogus":
            return {"uuid": event["uuid"], "status": "rejected", "reason": "unknown kind"}
        known = self.events.get(event["uuid"])
        if known is None and event["kind"] == "reward_redeem":
            reason = self._redeem(event)
            if reason:
                return {"uuid": event["uuid"], "status": "rejected", "reason": reason}
        if known is None:
            self.events[event["uuid"]] = event
            return {"uuid": event["uuid"], "status": "accepted"}
        status = "duplicate" if known == event else "rejected"
        return {"uuid": event["uuid"], "status": status}
