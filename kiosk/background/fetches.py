"""What the sync worker fetches into the store's cache: what scenes ask for, and the roster.

Scenes ask through ``SyncWorker.request_*``, which queue the ask here from the UI thread;
the sync thread serves the queues in its rounds (kiosk/background/sync.py): scorecards
(by ETag: an unchanged one makes the cached card current again), a workshop's pending
claims, points accounts, growth records, the rewards catalogue (by ETag, with its
pictures), a workshop's pending hand-overs and its open alerts. When the worker says the
roster is due it is fetched (by ETag) with the workers' photos that are new or changed; a
missing photo or picture keeps what the kiosk shows instead. An ask the server refuses is
logged and dropped; when the server cannot be reached the asks not yet served go back on
their queue and the ``ClientError`` goes on to the worker, which backs off.

The roster's cards are also prefetched (``prefetch``, each round after the outbox), so that
a worker never seen at this kiosk still has a card while the server is away: every card the
card scene shows (``PREFETCH_PERIODS``) of every worker on the roster, politely. One at a
time on the sync thread, spread evenly over ``prefetch_cycle_s`` (30 minutes) but never
faster than ``prefetch_max_rate`` (one card every 2 seconds: a roster of 300 workers is
done in 30 minutes, the 6,000 cards of 2,000 workers in 3 hours 20), at most
``PREFETCH_MAX_PER_ROUND`` in a round and none while a scene waits for a card; each by its
ETag, so an unchanged card costs a 304 with no body and only has its fetch time renewed (a
round's in one write). A cycle starts with the cards never cached, then the longest
unchanged. A roster refresh does not restart it: the next cycle reads the roster again and
forgets the cards of workers no longer on it, so the cache holds at most three cards per
roster worker. A prefetched card that changed is announced with ``SCORECARD_READY``. When
the server takes an event that a worker's cached cards showed as "not yet confirmed"
(kiosk/local_card.py), ``want_fresh_cards`` asks for them again.

Each fetch is announced by posting a pygame event (``SCORECARD_READY``, ``CLAIMS_READY``,
``POINTS_READY``, ``GROWTH_READY``, ``REWARDS_READY``, ``REDEMPTIONS_READY``, ``ALERTS_READY``,
``ROSTER_READY``)."""

from __future__ import annotations

import json
import logging
import queue
import time
from collections import deque
from collections.abc import Callable

from kiosk import events
from kiosk.errors import ApiError, ClientError
from kiosk.link.client import KioskClient
from kiosk.logs import log_event
from kiosk.model import alerts_key
from kiosk.store import (
    REWARDS_KEY,
    Store,
    claims_key,
    growth_key,
    points_key,
    redemptions_key,
    reward_picture_key,
    scorecard_etag_key,
)

logger = logging.getLogger(__name__)

# The periods the card scene shows (kiosk/scenes/scorecard.py PERIODS), the one it opens
# with first.
PREFETCH_PERIODS = ("week", "day", "month")
# Every card of the roster once per cycle, spread evenly over it.
PREFETCH_CYCLE_S = 30 * 60.0
PREFETCH_MAX_PER_ROUND = 20
# At most this many cards a second, however large the roster: a longer cycle rather than
# more load. A card costs the server ~85 ms to build even when it answers 304 (the ETag is
# a hash of the card), and several kiosks may serve the same workshop.
PREFETCH_MAX_RATE = 0.5
PREFETCH_ROUND_S = 2.0  # a round's prefetching stops after this, whatever is left


class Fetcher:
    """The asks queue from any thread; ``serve_*`` and ``refresh_roster`` run on the sync
    thread, which owns this."""

    def __init__(self, store: Store, post: Callable[..., None], *,
                 prefetch_cycle_s: float = PREFETCH_CYCLE_S,
                 prefetch_max_rate: float = PREFETCH_MAX_RATE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._post = post
        self._requests: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._claims: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._fetches: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.prefetch_cycle_s = prefetch_cycle_s
        self.prefetch_max_rate = prefetch_max_rate
        self._clock = clock
        self._due: deque[tuple[str, str]] = deque()  # this cycle's cards still to fetch
        self._cycle_size = 0
        self._allowance = 0.0  # cards that may be fetched now: none at start, then the pace
        self._paced_at: float | None = None
        self.prefetched = {"changed": 0, "unchanged": 0, "refused": 0}

    def want_scorecard(self, worker: str, period: str) -> None:
        self._requests.put((worker, period))

    def want_fresh_cards(self, worker: str) -> None:
        """The server took an event the worker's cached cards showed as "not yet
        confirmed": fetch them again (kiosk/local_card.py)."""
        for period in self.store.scorecard_periods(worker):
            self._requests.put((worker, period))

    def want_claims(self, workshop: str) -> None:
        self._claims.put(workshop)

    def want_points(self, worker: str) -> None:
        self._fetches.put(("points", worker))

    def want_growth(self, worker: str) -> None:
        self._fetches.put(("growth", worker))

    def want_rewards(self) -> None:
        self._fetches.put(("rewards", ""))

    def want_redemptions(self, workshop: str) -> None:
        self._fetches.put(("redemptions", workshop))

    def want_alerts(self, workshop: str) -> None:
        self._fetches.put(("alerts", workshop))

    def serve_requests(self, client: KioskClient) -> None:
        """The scorecards asked for, each once."""
        wanted: list[tuple[str, str]] = []
        while True:
            try:
                item = self._requests.get_nowait()
            except queue.Empty:
                break
            if item not in wanted:
                wanted.append(item)
        for index, (worker, period) in enumerate(wanted):
            try:
                self._fetch_card(client, worker, period)
            except ApiError as exc:
                logger.warning("no scorecard for %s: %s", worker, exc)
                continue
            except ClientError:
                for rest in wanted[index:]:
                    self._requests.put(rest)
                raise
            self._post(events.SCORECARD_READY, worker=worker, period=period)

    def _fetch_card(self, client: KioskClient, worker: str, period: str,
                    unchanged: list[tuple[str, str]] | None = None) -> bool:
        """Fetch one card by its ETag into the cache; whether it changed. An unchanged one
        (304) is current again as of now: at once, or added to ``unchanged`` for the caller
        to write with others."""
        cached = self.store.scorecard(worker, period)
        etag_key = scorecard_etag_key(worker, period)
        etag = self.store.get_setting(etag_key) if cached else None
        body, new_etag = client.scorecard_if_changed(worker, period, etag)
        if body is None:
            if cached is not None:
                if unchanged is None:
                    self.store.touch_scorecards([(worker, period)])
                else:
                    unchanged.append((worker, period))
            return False
        self.store.save_scorecard(worker, period, body)
        if new_etag:
            self.store.set_setting(etag_key, new_etag)
        return True

    def prefetch(self, client: KioskClient) -> int:
        """Fetch the roster's cards a few at a time (see the module's docstring): as many as
        the pace allows since the last round, at most ``PREFETCH_MAX_PER_ROUND`` and for
        ``PREFETCH_ROUND_S``, and none while a scene waits for a card. How many it fetched.
        A refused card is logged and skipped; when the server cannot be reached the card
        goes back to the front of the cycle and the ``ClientError`` goes on."""
        now = self._clock()
        if not self._due:
            self._plan()
        rate = min(max(self._cycle_size, 1) / max(self.prefetch_cycle_s, 1e-3),
                   self.prefetch_max_rate)
        if self._paced_at is not None:
            self._allowance = min(self._allowance + (now - self._paced_at) * rate,
                                  float(PREFETCH_MAX_PER_ROUND))
        self._paced_at = now
        stop_at = now + PREFETCH_ROUND_S
        fetched = 0
        unchanged: list[tuple[str, str]] = []
        try:
            while (self._due and self._allowance >= 1.0 and self._requests.empty()
                   and self._clock() < stop_at):
                worker, period = self._due.popleft()
                try:
                    changed = self._fetch_card(client, worker, period, unchanged)
                except ApiError as exc:  # not this kiosk's worker (any more), or no scheme
                    logger.info("no card prefetched for %s (%s): %s", worker, period, exc)
                    self.prefetched["refused"] += 1
                    changed = False
                except ClientError:
                    self._due.appendleft((worker, period))
                    raise
                else:
                    self.prefetched["changed" if changed else "unchanged"] += 1
                self._allowance -= 1.0
                fetched += 1
                if changed:
                    self._post(events.SCORECARD_READY, worker=worker, period=period)
        finally:
            self.store.touch_scorecards(unchanged)  # the round's 304s: one write
        return fetched

    def _plan(self) -> None:
        """A new cycle: every card of the roster's workers, those never cached first, then
        the longest unchanged; the cards of workers gone from the roster are forgotten."""
        roster, _ = self.store.roster()
        codes = {str(w["code"]) for w in (roster or {}).get("workers", [])
                 if isinstance(w, dict) and w.get("code")}
        if not codes:
            self._cycle_size = 0
            return
        pruned = self.store.prune_scorecards(codes)
        fetched_at = self.store.scorecard_times()
        keys = [(worker, period) for period in PREFETCH_PERIODS for worker in sorted(codes)]
        keys.sort(key=lambda k: fetched_at.get(k, float("-inf")))  # stable: week first
        self._due = deque(keys)
        self._cycle_size = len(keys)
        log_event(logger, "prefetch_cycle", cards=len(keys), workers=len(codes),
                  cached=sum(1 for k in keys if k in fetched_at), pruned=pruned,
                  **self.prefetched)

    def serve_claims(self, client: KioskClient) -> None:
        """The pending claims of the workshops asked for."""
        workshops: set[str] = set()
        while True:
            try:
                workshops.add(self._claims.get_nowait())
            except queue.Empty:
                break
        for workshop in sorted(workshops):
            try:
                claims = client.pending_claims(workshop)
            except ClientError:
                for rest in workshops:
                    self._claims.put(rest)
                raise
            self.store.set_setting(claims_key(workshop), json.dumps(claims, ensure_ascii=False))
            self._post(events.CLAIMS_READY, workshop=workshop)

    def serve_fetches(self, client: KioskClient) -> None:
        """Points accounts, the rewards catalogue, pending hand-overs and open alerts
        asked for."""
        wanted: list[tuple[str, str]] = []
        while True:
            try:
                item = self._fetches.get_nowait()
            except queue.Empty:
                break
            if item not in wanted:
                wanted.append(item)
        for index, (what, key) in enumerate(wanted):
            try:
                if what == "points":
                    self.store.save_cached(points_key(key), client.points(key))
                    self._post(events.POINTS_READY, worker=key)
                elif what == "growth":
                    self.store.save_cached(growth_key(key), client.growth(key))
                    self._post(events.GROWTH_READY, worker=key)
                elif what == "rewards":
                    self._refresh_rewards(client)
                elif what == "alerts":
                    self.store.save_cached(alerts_key(key), client.alerts(key))
                    self._post(events.ALERTS_READY, workshop=key)
                else:
                    self.store.save_cached(redemptions_key(key),
                                           client.pending_redemptions(key))
                    self._post(events.REDEMPTIONS_READY, workshop=key)
            except ApiError as exc:  # not served here, or a server without rewards yet
                logger.warning("no %s for %s: %s", what, key or "kiosk", exc)
            except ClientError:
                for rest in wanted[index:]:
                    self._fetches.put(rest)
                raise

    def _refresh_rewards(self, client: KioskClient) -> None:
        etag_key = f"{REWARDS_KEY}_etag"
        cached = self.store.cached(REWARDS_KEY)
        body, etag = client.rewards(self.store.get_setting(etag_key) if cached else None)
        if body is not None:
            self.store.save_cached(REWARDS_KEY, body)
            if etag:
                self.store.set_setting(etag_key, etag)
        for reward in (body or (cached.body if cached else {})).get("rewards", []):
            url, code = reward.get("picture"), reward.get("code")
            if not url or not code:
                continue
            known = self.store.photo(reward_picture_key(code))
            if known is not None and known[0] == url:
                continue
            try:
                self.store.save_photo(reward_picture_key(code), url, client.download(url))
            except ApiError as exc:
                logger.warning("no picture for reward %s: %s", code, exc)
        self._post(events.REWARDS_READY)

    def refresh_roster(self, client: KioskClient) -> None:
        """The roster if it changed (by ETag), with its new photos."""
        _, etag = self.store.roster()
        body, new_etag = client.roster(etag)
        if body is None:
            return
        self.store.save_roster(body, new_etag)
        log_event(logger, "roster", workers=len(body.get("workers", [])), etag=new_etag)
        self._fetch_photos(client, body)
        self._post(events.ROSTER_READY)

    def _fetch_photos(self, client: KioskClient, roster: dict) -> None:
        """Download the photos that are new or changed; a missing one keeps the avatar."""
        for worker in roster.get("workers", []):
            url = worker.get("photo_url")
            if not url or not worker.get("code"):
                continue
            cached = self.store.photo(worker["code"])
            if cached is not None and cached[0] == url:
                continue
            try:
                self.store.save_photo(worker["code"], url, client.download(url))
            except ApiError as exc:
                logger.warning("no photo for %s: %s", worker["code"], exc)
