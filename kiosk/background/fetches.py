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

Each fetch is announced by posting a pygame event (``SCORECARD_READY``, ``CLAIMS_READY``,
``POINTS_READY``, ``GROWTH_READY``, ``REWARDS_READY``, ``REDEMPTIONS_READY``, ``ALERTS_READY``,
``ROSTER_READY``)."""

from __future__ import annotations

import json
import logging
import queue
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


class Fetcher:
    """The asks queue from any thread; ``serve_*`` and ``refresh_roster`` run on the sync
    thread, which owns this."""

    def __init__(self, store: Store, post: Callable[..., None]) -> None:
        self.store = store
        self._post = post
        self._requests: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._claims: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._fetches: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()

    def want_scorecard(self, worker: str, period: str) -> None:
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
            cached = self.store.scorecard(worker, period)
            etag_key = scorecard_etag_key(worker, period)
            etag = self.store.get_setting(etag_key) if cached else None
            try:
                body, new_etag = client.scorecard_if_changed(worker, period, etag)
            except ApiError as exc:
                logger.warning("no scorecard for %s: %s", worker, exc)
                continue
            except ClientError:
                for rest in wanted[index:]:
                    self._requests.put(rest)
                raise
            if body is None and cached is not None:
                body = cached.body  # unchanged (304): the cached card is current again
            if body is not None:
                self.store.save_scorecard(worker, period, body)
            if new_etag:
                self.store.set_setting(etag_key, new_etag)
            self._post(events.SCORECARD_READY, worker=worker, period=period)

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
