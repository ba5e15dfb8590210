"""Issue 18 item 6, offline cards for everyone: the kiosk prefetches its roster's cards
politely (paced, one at a time, by ETag), a worker never seen at the kiosk gets their card
offline, and the worker's own queued events change the cached card where the rule is
local (kiosk/local_card.py), marked "not yet confirmed" until the server's card replaces it.

The first tests are `apply_queued` and the prefetch's pace with small fakes; the last ones
run against the real server (the app under waitress on loopback, stopped and started again
on the same port), with the kiosk's own client, sync worker, scenes and store.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from kiosk_support import screenshot, tap_button, tap_card
from waitress.server import create_server

from kiosk import events
from kiosk.app import App
from kiosk.background.fetches import (
    PREFETCH_MAX_PER_ROUND,
    PREFETCH_MAX_RATE,
    PREFETCH_PERIODS,
    Fetcher,
)
from kiosk.background.sync import SyncWorker
from kiosk.config import KioskConfig
from kiosk.errors import ApiError, ClientError
from kiosk.link.client import KioskClient
from kiosk.local_card import apply_queued, queued_events, with_queued
from kiosk.model import Category, Scorecard
from kiosk.scenes.base import Context
from kiosk.scenes.scorecard import PERIODS
from kiosk.store import Store, scorecard_etag_key
from server import create_app
from server.config import Config
from server.models import Worker, Workshop
from server.scoring import period_span
from server.services.devices.keys import load_keys
from server.services.people.badges import assign_card
from server.services.scores.kiosk_reads import card_etag
from support.factory import build_factory, make_event

TODAY = date.today()
MONDAY = TODAY - timedelta(days=TODAY.weekday())


# --- apply_queued, with small fakes ---------------------------------------------------------
@dataclass(frozen=True)
class Queued:
    """An outbox item as `apply_queued` reads it."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    worker: str | None = "W001"
    occurred_at: str = field(default_factory=lambda: at(MONDAY, 10))
    uuid: str = "e-1"


def at(day: date, hour: int) -> str:
    """A time on `day` in the kiosk's zone."""
    return datetime(day.year, day.month, day.day, hour, 30).astimezone().isoformat()


def card_json(*, output: float | None = 500.0, defect_rate: float | None = 0.02,
              dims: tuple[str, ...] = ("uptime", "defect_rate", "output"),
              start: date = MONDAY, end: date | None = None,
              claims: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A week card as the server sends it (server/services/scores/scorecards.py)."""
    values = {"uptime": (0.8, 0.75, True, 60.0), "defect_rate": (defect_rate, 0.03, True, 30.0),
              "output": (output, 900.0, False, 0.0)}
    return {
        "worker": {"code": "W001", "name": "张三", "language": "zh_CN", "workshop": "W1"},
        "period": "week", "period_start": start.isoformat(),
        "period_end": (end or start + timedelta(days=6)).isoformat(),
        "total": 90.0, "max_total": 100.0, "complete": True,
        "dimensions": [
            {"key": key, "value": values[key][0], "target": values[key][1],
             "met": values[key][2], "points": values[key][3], "max_points": values[key][3],
             "no_data": values[key][0] is None, "record_ids": [], "daily": [],
             "daily_met": {}, "better": "lower" if key == "defect_rate" else "higher",
             "lower_is_better": key == "defect_rate",
             "unit": "count" if key == "output" else "percent"}
            for key in dims
        ],
        "hourly_points": 0.0, "point_entries": [], "adjustments": [],
        "rank": None, "rank_of": None, "tier": None, "next_tier": None,
        "today_points": 12.0, "projected_total": 95.0,
        "tasks": {"notices": [], "videos_due": [], "appeals_open": [],
                  "claims_pending": claims or []},
    }


def dim(card: Scorecard, key: str):
    return next(d for d in card.dimensions if d.key == key)


def test_output_is_summed_and_nothing_the_rules_decide_moves() -> None:
    body = card_json()
    before = json.dumps(body, sort_keys=True)
    card = apply_queued(body, [Queued("output", {"machine": "M1", "count": 20}, uuid="a"),
                               Queued("output", {"machine": "M1", "count": 5}, uuid="b")])
    assert dim(card, "output").value == 525.0
    # the defect rate is defects over output: 10 defects (0.02 x 500) over 525 now
    assert dim(card, "defect_rate").value == pytest.approx(10 / 525)
    assert card.unconfirmed and card.local_changes == ("output", "defect_rate")
    # met, points, total, today, projection: the server's, untouched
    assert (dim(card, "output").met, dim(card, "output").points) == (False, 0.0)
    assert (card.total, card.today_points, card.projected_total) == (90.0, 12.0, 95.0)
    assert json.dumps(body, sort_keys=True) == before, "the cached body is not changed"


def test_defects_change_the_rate_from_the_cards_own_numbers() -> None:
    card = apply_queued(card_json(), [Queued("defect", {"machine": "M1", "count": 5})])
    assert dim(card, "defect_rate").value == pytest.approx(15 / 500)
    assert dim(card, "output").value == 500.0
    assert card.local_changes == ("defect_rate",)


def test_defects_without_an_output_line_wait() -> None:
    card = apply_queued(card_json(dims=("uptime", "defect_rate")),
                        [Queued("defect", {"machine": "M1", "count": 5})])
    assert dim(card, "defect_rate").value == 0.02
    assert card.unconfirmed and card.local_changes == ("waiting:defect_rate",)


def test_a_first_count_fills_a_line_with_no_data_but_keeps_the_servers_met() -> None:
    card = apply_queued(card_json(output=None, defect_rate=None),
                        [Queued("output", {"machine": "M1", "count": 7})])
    out = dim(card, "output")
    assert (out.value, out.no_data, out.met, out.points) == (7.0, False, False, 0.0)
    assert dim(card, "defect_rate").value == 0.0


def test_a_claim_is_a_pending_line_not_points() -> None:
    categories = [Category("tidy", "5S整理", "Tidy workplace", "team", 5.0, True)]
    card = apply_queued(card_json(), [Queued("point_claim", {"category": "tidy"}, uuid="c-1")],
                        categories=categories)
    pending = [t for t in card.task_items if t.kind == "claims_pending"]
    assert [(t.title, t.points) for t in pending] == [("5S整理", 5.0)]
    assert card.total == 90.0 and card.local_changes == ("claims_pending",)
    # the server lists it already (same event uuid): not twice, and nothing to confirm
    listed = card_json(claims=[{"id": 4, "claim": "c-1", "category": "tidy", "points": 5.0}])
    again = apply_queued(listed, [Queued("point_claim", {"category": "tidy"}, uuid="c-1")],
                         categories=categories)
    assert len([t for t in again.task_items if t.kind == "claims_pending"]) == 1
    assert not again.unconfirmed and again.local_changes == ()


def test_rules_that_are_not_local_leave_the_number_and_wait() -> None:
    card = apply_queued(card_json(), [Queued("machine_start", {"machine": "M1"}),
                                      Queued("training_progress", {"video": 1}),
                                      Queued("remark", {"category": "x"})])
    assert dim(card, "uptime").value == 0.8 and card.total == 90.0
    # no attendance or training line on this card: only what it shows waits
    assert card.local_changes == ("waiting:uptime", "waiting:points")


def test_events_of_another_period_or_worker_change_nothing() -> None:
    last_week = MONDAY - timedelta(days=3)
    card = apply_queued(card_json(), [
        Queued("output", {"machine": "M1", "count": 9}, occurred_at=at(last_week, 10)),
        Queued("output", {"machine": "M1", "count": 9}, worker="W002"),
        Queued("badge_in", {"kind": "card"}),
        Queued("output", {"machine": "M1", "count": 0}),  # not a count the server takes
    ])
    assert dim(card, "output").value == 500.0
    assert not card.unconfirmed and card.local_changes == ()


def test_a_count_after_midnight_on_the_periods_edge_waits() -> None:
    """02:30 on the first day may be the night shift of the day before: not guessed."""
    card = apply_queued(card_json(), [
        Queued("output", {"machine": "M1", "count": 9}, occurred_at=at(MONDAY, 2))])
    assert dim(card, "output").value == 500.0
    assert card.local_changes == ("waiting:output", "waiting:defect_rate")
    later = apply_queued(card_json(), [
        Queued("output", {"machine": "M1", "count": 9}, occurred_at=at(MONDAY, 7))])
    assert dim(later, "output").value == 509.0


def test_the_store_gives_the_workers_queued_events_only(store: Store) -> None:
    store.set_setting("server_id", "srv")
    store.enqueue("output", "W001", {"machine": "M1", "count": 4})
    store.enqueue("output", "W002", {"machine": "M1", "count": 6})
    store.enqueue("notice_seen", "W001", {"notice": 3})
    sent = store.enqueue("defect", "W001", {"machine": "M1", "count": 1})
    store.claim_batch(10)
    store.ack(sent)
    assert [(e.kind, e.payload["count"]) for e in queued_events(store, "W001")] == [
        ("output", 4)]
    # a card whose period holds both today and the night before: the count is in it
    card = with_queued(store, "W001", card_json(start=TODAY - timedelta(days=1),
                                                 end=TODAY + timedelta(days=1)))
    assert dim(card, "output").value == 504.0 and card.unconfirmed


# --- the prefetch's pace, with a behaving fake client ---------------------------------------
class FakeCards:
    """`scorecard_if_changed` as the server answers it: 304 for the ETag it sent last."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str | None]] = []
        self.down = False
        self.refuse: set[str] = set()

    def scorecard_if_changed(self, worker: str, period: str, etag: str | None
                             ) -> tuple[dict[str, Any] | None, str | None]:
        if self.down:
            raise ClientError("connection refused")
        self.asked.append((worker, period, etag))
        if worker in self.refuse:
            raise ApiError(403, "forbidden", "not this kiosk's worker")
        tag = f'"{worker}-{period}"'
        return (None, etag) if etag == tag else ({"worker": {"code": worker},
                                                   "period": period, "total": 1.0}, tag)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def roster_of(codes: list[str]) -> dict[str, Any]:
    return {"workers": [{"code": c, "name": c, "workshop": "W1"} for c in codes]}


def test_prefetch_is_spread_over_its_cycle_and_unchanged_cards_cost_304s(store) -> None:
    codes = [f"W{i:03d}" for i in range(10)]
    store.save_roster(roster_of(codes), '"r1"')
    clock, client, posted = Clock(), FakeCards(), []
    fetcher = Fetcher(store, lambda kind, **a: posted.append((kind, a)),
                      prefetch_cycle_s=60.0, prefetch_max_rate=1e6, clock=clock)
    assert fetcher.prefetch(client) == 0, "nothing at start: no burst at boot"
    clock.now += 10  # 30 cards over 60 s: 5 in 10 s
    assert fetcher.prefetch(client) == 5
    assert [p for _, p, _ in client.asked] == ["week"] * 5, "the period shown first, first"
    clock.now += 3600  # back after an hour away: still at most a round's worth
    assert fetcher.prefetch(client) == PREFETCH_MAX_PER_ROUND
    clock.now += 60
    assert fetcher.prefetch(client) == 5  # the cycle's last
    assert set(store.scorecard_times()) == {(c, p) for c in codes for p in PREFETCH_PERIODS}
    assert len(posted) == 30 and all(kind == events.SCORECARD_READY for kind, _ in posted)
    # the next cycle: every card asked by its ETag, every answer a 304, nothing announced
    clock.now += 60
    assert fetcher.prefetch(client) == 20
    assert all(etag == f'"{w}-{p}"' for w, p, etag in client.asked[30:])
    assert fetcher.prefetched["unchanged"] == 20 and len(posted) == 30


def test_a_large_roster_makes_a_longer_cycle_not_more_load(store) -> None:
    """2,000 workers: 6,000 cards in 30 minutes would be 3.3 a second; the cap holds."""
    store.save_roster(roster_of([f"W{i:04d}" for i in range(2000)]), '"r1"')
    clock, client = Clock(), FakeCards()
    fetcher = Fetcher(store, lambda *a, **k: None, clock=clock)
    fetcher.prefetch(client)
    clock.now += 20
    assert fetcher.prefetch(client) == 10 == PREFETCH_MAX_RATE * 20


def test_prefetch_yields_to_a_waiting_scene_and_keeps_its_place_when_offline(store) -> None:
    store.save_roster(roster_of(["W001", "W002", "W003"]), '"r1"')
    clock, client = Clock(), FakeCards()
    fetcher = Fetcher(store, lambda *a, **k: None, prefetch_cycle_s=9.0,
                      prefetch_max_rate=1e6, clock=clock)
    fetcher.prefetch(client)
    clock.now += 5
    fetcher.want_scorecard("W003", "day")  # a worker badged in: their card first
    assert fetcher.prefetch(client) == 0
    fetcher.serve_requests(client)
    client.down = True
    with pytest.raises(ClientError):
        fetcher.prefetch(client)
    client.down = False
    assert fetcher.prefetch(client) == 5
    assert [w for w, _, _ in client.asked[1:3]] == ["W001", "W002"]


def test_a_refused_card_is_skipped_and_workers_gone_are_forgotten(store) -> None:
    store.save_roster(roster_of(["W001", "W002"]), '"r1"')
    store.save_scorecard("W777", "week", {"total": 3.0})
    store.set_setting(scorecard_etag_key("W777", "week"), '"old"')
    store.set_setting(scorecard_etag_key("W7770", "week"), '"kept"')  # not a prefix match
    clock, client = Clock(), FakeCards()
    client.refuse.add("W002")
    fetcher = Fetcher(store, lambda *a, **k: None, prefetch_cycle_s=1.0,
                      prefetch_max_rate=1e6, clock=clock)
    fetcher.prefetch(client)
    clock.now += 100
    assert fetcher.prefetch(client) == 6
    assert store.scorecard("W777", "week") is None
    assert store.get_setting(scorecard_etag_key("W777", "week")) is None
    assert store.get_setting(scorecard_etag_key("W7770", "week")) == '"kept"'
    assert {w for w, _ in store.scorecard_times()} == {"W001"}
    assert fetcher.prefetched["refused"] == 3


def test_the_prefetched_periods_are_the_card_scenes() -> None:
    assert set(PREFETCH_PERIODS) == set(PERIODS)


# --- against the real server ----------------------------------------------------------------
class Restartable:
    """The app under waitress on one loopback port that can be stopped and started again
    (the kiosk keeps its address, as with a server restarted)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        self._server = create_server(self.app, host="127.0.0.1", port=self.port, threads=2,
                                     clear_untrusted_proxy_headers=True)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.run, name="waitress", daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self._server.task_dispatcher.shutdown()
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server = self._thread = None


class Counting:
    """WSGI middleware: the status of every scorecard request the server answered."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cards: list[tuple[str, str, int]] = []  # (path, query, status)
        self.seconds: list[float] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")

        began = time.perf_counter()

        def start(status: str, headers: Any, *rest: Any) -> Any:
            if path.endswith("/scorecard"):
                self.cards.append((path, query, int(status.split()[0])))
                self.seconds.append(time.perf_counter() - began)
            return start_response(status, headers, *rest)

        return self.app(environ, start)

    def statuses(self, since: int = 0) -> Counter[int]:
        return Counter(status for _, _, status in self.cards[since:])


@pytest.fixture
def server(migrated: Config) -> Iterator[tuple[Any, Any, Counting]]:
    made = create_app(migrated)
    counting = Counting(made.wsgi_app)
    made.wsgi_app = counting  # type: ignore[method-assign]
    with made.extensions["shopfloor.sessionmaker"]() as session:
        yield made, session, counting
    made.extensions["shopfloor.engine"].dispose()


EXTRA_WORKERS = 12
ALICE_UID = bytes.fromhex("04c0ffee112233")


def plant(app: Any, session: Any) -> str:
    """build_factory's plant with more workers in W1, and a card for W002; the kiosk K1's
    token."""
    made = build_factory(session)
    w1 = session.query(Workshop).filter_by(code="W1").one()
    session.add_all([Worker(code=f"W2{i:02d}", name=f"工人{i}", workshop=w1)
                     for i in range(EXTRA_WORKERS)])
    assign_card(session, load_keys(app.config["SHOPFLOOR"].data_dir), "W002",
                ALICE_UID.hex(), "test")
    session.commit()
    return made.kiosk_token


def get(url: str, path: str, token: str, etag: str | None = None
        ) -> tuple[int, str | None, bytes]:
    """A raw HTTP GET (no client library in between)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        connection.request("GET", f"/api/v1{path}", headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("ETag"), response.read()
    finally:
        connection.close()


def test_the_card_etag_follows_what_the_kiosk_shows_not_the_lookback_hour() -> None:
    card = {"worker": {"code": "W001"}, "period": "week", "total": 5.0,
            "tasks": {"since": "2026-12-07T03:00:00+00:00", "claims_decided": []}}
    tag = card_etag(card)
    assert card_etag({**card, "tasks": {**card["tasks"],
                                        "since": "2026-12-07T04:00:00+00:00"}}) == tag
    assert card_etag({**card, "tasks": {**card["tasks"], "claims_decided": [{"id": 1}]}}) != tag
    assert card_etag({**card, "total": 5.5}) != tag
    assert card_etag({**card, "worker": {"code": "W002"}}) != tag
    assert card_etag({**card, "period": "day"}) != tag


def test_the_servers_scorecard_answers_304_to_its_etag_by_raw_http(server) -> None:
    app, session, counting = server
    token = plant(app, session)
    web = Restartable(app)
    url = web.start()
    try:
        status, etag, body = get(url, "/workers/W001/scorecard?period=week", token)
        assert status == 200 and etag and json.loads(body)["worker"]["code"] == "W001"
        assert get(url, "/workers/W001/scorecard?period=week", token, etag)[:2] == (304, etag)
        assert get(url, "/workers/W001/scorecard?period=week", token, etag)[2] == b""
        # per worker and period: another card never matches this one's tag
        other = get(url, "/workers/W002/scorecard?period=week", token, etag)
        day = get(url, "/workers/W001/scorecard?period=day", token, etag)
        assert other[0] == day[0] == 200 and len({etag, other[1], day[1]}) == 3
        # the card changes (output logged): a new tag, and the old one gets the whole card
        client = KioskClient(url, token)
        try:
            result = client.post_events([make_event(
                "output", "W001", {"machine": "M1", "count": 40})])
        finally:
            client.close()
        assert result[0]["status"] == "accepted"
        status, new_etag, body = get(url, "/workers/W001/scorecard?period=week", token, etag)
        output = next(d for d in json.loads(body)["dimensions"] if d["key"] == "output")
        assert status == 200 and new_etag != etag and output["value"] == 40
        assert get(url, "/workers/W002/scorecard?period=week", token, other[1])[0] == 304
    finally:
        web.stop()
    assert counting.statuses()[304] == 3


SITE_ZONE = "Asia/Shanghai"  # the server's (tests/conftest.py `config`)


@pytest.fixture
def site_zone() -> Iterator[ZoneInfo]:
    """The kiosk's clock in the site's zone, as a kiosk on the site is set."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = SITE_ZONE
    time.tzset()
    yield ZoneInfo(SITE_ZONE)
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def certain_period(zone: ZoneInfo) -> str:
    """A period of the card scene that holds a count logged now for sure: not one that
    starts today while the night shift of yesterday may still run (see local_card.py)."""
    now = datetime.now(zone)
    shift_day = (now - timedelta(hours=6)).date()
    if shift_day == now.date() or now.weekday() != 0:
        return "week"
    if now.day != 1:
        return "month"
    pytest.skip("Monday the first, before 06:00: every card's period starts today")


def pump(app: App, until: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "timed out"
        app.step()
        time.sleep(0.01)


def output_of(card: Scorecard | dict[str, Any]) -> float | None:
    if isinstance(card, Scorecard):
        return dim(card, "output").value
    return next(d for d in card["dimensions"] if d["key"] == "output")["value"]


def test_offline_a_worker_never_seen_here_has_their_card_and_their_output_counts(
        server, store, speaker, display, tmp_path, site_zone) -> None:
    app, session, counting = server
    period = certain_period(site_zone)
    token = plant(app, session)
    web = Restartable(app)
    url = web.start()
    client = KioskClient(url, token, queue_depth=store.depth)
    try:
        store.set_settings({"server_id": str(client.health()["server_id"]), "token": token})
        sync = SyncWorker(store, client, interval_s=0.05, max_backoff_s=0.2,
                          prefetch_cycle_s=0.01, prefetch_max_rate=1e6)  # per-round cap only
        ctx = Context(store=store, speaker=speaker, sync=sync, workshop="W1")
        kiosk = App(KioskConfig(data_dir=tmp_path), ctx, display, enrolled=True)

        # 1. the prefetch fills the cache with every roster worker's cards, a round at a time
        sync.run_once()  # keys and the roster
        roster = {w["code"] for w in store.roster()[0]["workers"]}
        assert len(roster) == 3 + EXTRA_WORKERS  # W001, W002, S001 and the twelve
        wanted = {(w, p) for w in roster for p in PREFETCH_PERIODS}
        rounds = []
        while set(store.scorecard_times()) != wanted:
            before = len(counting.cards)
            sync.run_once()
            rounds.append(len(counting.cards) - before)
            assert len(rounds) < 20, f"the cache did not fill: {rounds}"
        assert max(rounds) <= PREFETCH_MAX_PER_ROUND and sum(rounds) == len(wanted)
        assert counting.statuses() == Counter({200: len(wanted)})
        assert all(store.get_setting(scorecard_etag_key(*key)) for key in wanted)
        size = sum(len(json.dumps(store.scorecard(*key).body)) for key in wanted)

        # 2. the next cycle costs only 304s (unless the day turned meanwhile: every card's
        # "as of" moves then)
        for _attempt in range(2):
            day, first = datetime.now().date(), len(counting.cards)
            fetched_before = store.scorecard_times()
            while len(counting.cards) - first < len(wanted):
                sync.run_once()
            if datetime.now().date() == day:
                break
        assert counting.statuses(first) == Counter({304: len(wanted)})
        assert all(store.scorecard_times()[k] >= fetched_before[k] for k in wanted)

        # 3. the server goes away: W002, never badged here, still gets their card
        web.stop()
        sync.run_once()
        assert sync.online is False
        cached = store.scorecard("W002", period).body
        assert output_of(cached) is None  # no production yet
        pump(kiosk, lambda: ctx.status.online is False)
        tap_card(kiosk, ALICE_UID)
        scene = kiosk.scenes.top
        assert scene.name == "scorecard" and scene.worker.code == "W002"
        if period != scene.period:
            tap_button(kiosk, f"period:{period}")
        assert scene.card is not None and scene.card.total == cached["total"]
        assert not scene.card.unconfirmed
        screenshot(kiosk, "offline_card_prefetched_en")

        # 4. they log output offline: the cached card counts it, "not yet confirmed"
        tap_button(kiosk, "log")
        tap_button(kiosk, "output")
        tap_button(kiosk, "key:2")
        tap_button(kiosk, "key:5")
        tap_button(kiosk, "done")
        pump(kiosk, lambda: kiosk.scenes.top.name == "scorecard", timeout=5)
        scene = kiosk.scenes.top
        assert output_of(scene.card) == 25.0 and scene.card.unconfirmed
        assert "output" in scene.card.local_changes
        assert scene.card.total == cached["total"], "points wait for the server"
        screenshot(kiosk, "offline_card_unconfirmed_en")

        # 5. the server returns; the event syncs and the server's card replaces the local
        # one: 25 counted once, confirmed
        url_again = web.start()
        assert url_again == url
        # a sync worker whose prefetch has not come round to W002: what replaces the card
        # is the sync asking for the cards of a worker whose event the server took
        sync = ctx.sync = SyncWorker(store, client, interval_s=0.05)
        asked = len(counting.cards)
        sync.run_once()  # sends the output (and the badge-in)
        assert store.depth() == 0
        sync.run_once()  # the worker's cards, fetched again
        assert sorted(q for _, q, _ in counting.cards[asked:]) == [
            f"period={p}" for p in sorted(PREFETCH_PERIODS)]
        pump(kiosk, lambda: not kiosk.scenes.top.card.unconfirmed)
        scene = kiosk.scenes.top
        assert output_of(scene.card) == 25.0 and scene.card.local_changes == ()
        # Every cached card of the worker, fetched again. A count logged before 06:00
        # belongs to the night shift of the day before (production/from_kiosk.py), so
        # today's day card, and any period that starts today, does not hold it then.
        local = datetime.now(site_zone)
        shift_day = (local - timedelta(hours=6)).date()
        for each in PREFETCH_PERIODS:
            holds = period_span(each, local.date()).start <= shift_day
            assert output_of(store.scorecard("W002", each).body) == (25.0 if holds else None)
        screenshot(kiosk, "online_card_confirmed_en")
    finally:
        client.close()
        web.stop()
    full = 1000 * sum(counting.seconds[:len(wanted)]) / len(wanted)
    unchanged = 1000 * sum(counting.seconds[first:first + len(wanted)]) / len(wanted)
    print(f"cards: {len(wanted)}, cache JSON {size} bytes, {size // len(wanted)} per card; "
          f"server ms per card: whole {full:.1f}, 304 {unchanged:.1f}")

