"""The sync worker: one thread that drains the outbox (oldest first, in batches), refreshes
the roster (by ETag) and fetches scorecards, backing off while the server is away (a batch
the server refuses outright is split until the one bad event is alone and marked failed).
It also runs enrolments asked for by the enrol scene, and notices a revoked token: the
kiosk then shows it is not enrolled and keeps its unsent events for the next enrolment.
It fetches what scenes ask for: points accounts, the rewards catalogue (by ETag, with its
pictures) and a workshop's pending hand-overs, into the store's cache. A ``reward_redeem``
the server rejects is kept with its reason (``Store.add_refusal``) and announced with
``REDEEM_REFUSED``, so the worker is told; an accepted one makes it fetch the worker's
points again. It talks to the UI only by posting pygame events (``SYNC_STATUS``,
``SCORECARD_READY``, ``ROSTER_READY``, ``ENROLMENT``, ``POINTS_READY``, ``REWARDS_READY``,
``REDEMPTIONS_READY``, ``REDEEM_REFUSED``)."""

from __future__ import annotations

import json
import logging
import queue
import random
import time
from collections.abc import Callable
from typing import Any

from kiosk import events
from kiosk.background.rounds import Rounds
from kiosk.errors import ApiError, ClientError, KioskError, StoreError
from kiosk.link.client import KioskClient
from kiosk.link.locate import CLOCK_SKEW_WARN_S
from kiosk.logs import log_event
from kiosk.store import (
    REWARDS_KEY,
    OutboxItem,
    Store,
    claims_key,
    now_iso,
    points_key,
    redemptions_key,
    reward_picture_key,
    scorecard_etag_key,
)

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0
RETRY_STATUSES = {401, 403, 408, 429}  # refusals that are about the kiosk, not the events
REDISCOVER_AFTER = 3
DISCOVERY_INTERVAL_S = 30.0


class SyncWorker:
    def __init__(
        self,
        store: Store,
        client: KioskClient | None,
        *,
        interval_s: float = 5.0,
        roster_interval_s: float = 60.0,
        post: Callable[..., None] = events.post,
        batch_size: int = 50,
        discover: Callable[[], str | None] | None = None,
        connect: Callable[[str], KioskClient] | None = None,
        enrol: Callable[[str], dict[str, Any]] | None = None,
        discovery_interval_s: float = DISCOVERY_INTERVAL_S,
        max_backoff_s: float = MAX_BACKOFF_S,
    ) -> None:
        self.store = store
        self.client = client
        self._discover = discover
        self._connect = connect
        self._enrol = enrol
        self._enrolments: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.discovery_interval_s = discovery_interval_s
        self.max_backoff_s = max_backoff_s
        self._next_discovery = 0.0
        self._clock_skewed = False
        self.interval_s = interval_s
        self.roster_interval_s = roster_interval_s
        self.batch_size = self.max_batch = batch_size
        self._post = post
        self._rounds = Rounds("kiosk-sync", self._round_then_delay, retry_s=interval_s)
        self._requests: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._claims: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._fetches: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._failures = 0
        self._next_roster = 0.0
        self.online: bool | None = None

    def start(self) -> None:
        self._rounds.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._rounds.stop(timeout)
        if self.client is not None:
            self.client.close()

    def kick(self) -> None:
        """Something was queued: send it now rather than at the next interval."""
        self._rounds.wake()

    def request_scorecard(self, worker: str, period: str) -> None:
        self._requests.put((worker, period))
        self._rounds.wake()

    def request_claims(self, workshop: str) -> None:
        self._claims.put(workshop)
        self._rounds.wake()

    def request_points(self, worker: str) -> None:
        self._fetches.put(("points", worker))
        self._rounds.wake()

    def request_rewards(self) -> None:
        self._fetches.put(("rewards", ""))
        self._rounds.wake()

    def request_redemptions(self, workshop: str) -> None:
        self._fetches.put(("redemptions", workshop))
        self._rounds.wake()

    def request_enrolment(self, code: str) -> None:
        self._enrolments.put(code)
        self._rounds.wake()

    def _round_then_delay(self) -> float:
        try:
            self.run_once()
        except KioskError as exc:  # the store failed, or no client could be made
            logger.warning("sync round failed: %s", exc)
            self._set_online(False)
        return self.interval_s if self._failures == 0 else self._backoff()

    def _backoff(self) -> float:
        base = min(self.interval_s * 2 ** (self._failures - 1), self.max_backoff_s)
        return base * random.uniform(0.8, 1.2)

    def run_once(self) -> None:
        """One round: enrolments, scorecard requests, the outbox, the roster when due."""
        self._serve_enrolments()
        if self.client is None and self.store.get_setting("token") is None:
            self._set_online(False, "not enrolled")
            return
        if self.client is None or self._failures >= REDISCOVER_AFTER:
            self._rediscover()
        if self.client is None:
            self._set_online(False)
            return
        try:
            self._serve_requests(self.client)
            self._serve_claims(self.client)
            self._drain(self.client)
            self._serve_fetches(self.client)
            if time.monotonic() >= self._next_roster:
                self._refresh_roster(self.client)
                self._fetches.put(("rewards", ""))  # the catalogue on the next round
                self._next_roster = time.monotonic() + self.roster_interval_s
        except ClientError as exc:
            if isinstance(exc, ApiError) and exc.status == 401:
                self._lose_enrolment(exc)
                return
            if not isinstance(exc, ApiError) or exc.status in RETRY_STATUSES:
                self._failures += 1
                self._set_online(False, str(exc))
                return
            logger.warning("server refused a sync request: %s", exc)
        self._failures = 0
        self._note_clock(self.client)
        self._set_online(True)

    def _note_clock(self, client: KioskClient) -> None:
        offset = client.clock_offset_s
        skewed = offset is not None and abs(offset) > CLOCK_SKEW_WARN_S
        if skewed != self._clock_skewed:
            log_event(logger, "clock_skew" if skewed else "clock_ok",
                      logging.WARNING if skewed else logging.INFO,
                      offset_s=round(offset or 0.0))
        self._clock_skewed = skewed

    def _serve_enrolments(self) -> None:
        while True:
            try:
                code = self._enrolments.get_nowait()
            except queue.Empty:
                return
            if self._enrol is None:
                continue
            try:
                answer = self._enrol(code)
            except KioskError as exc:
                log_event(logger, "enrolment_failed", logging.WARNING, reason=str(exc))
                self._post(events.ENROLMENT, enrolled=False, reason=str(exc))
                continue
            self._drop_client()
            self._next_discovery = 0.0
            self._failures = 0
            self._post(events.ENROLMENT, enrolled=True, reason=None,
                       kiosk=answer.get("kiosk"))

    def _lose_enrolment(self, exc: ApiError) -> None:
        """The server no longer takes the token (revoked, or enrolled elsewhere): forget it,
        keep every unsent event, and show the enrol scene."""
        self.store.delete_setting("token")
        self._drop_client()
        log_event(logger, "enrolment_lost", logging.WARNING, reason=exc.code,
                  depth=self.store.depth())
        self._set_online(False, "not enrolled")
        self._post(events.ENROLMENT, enrolled=False, reason=exc.code)

    def _drop_client(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def _rediscover(self) -> None:
        """Find the pinned server again (kiosk/link/locate.py) when there is none or it stopped
        answering."""
        if self._discover is None or self._connect is None:
            return
        if time.monotonic() < self._next_discovery:
            return
        self._next_discovery = time.monotonic() + self.discovery_interval_s
        url = self._discover()
        if url is None or (self.client and self.client.base_url == url):
            return
        previous, self.client = self.client, self._connect(url)
        if previous is not None:
            previous.close()

    def _serve_requests(self, client: KioskClient) -> None:
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

    def _serve_claims(self, client: KioskClient) -> None:
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

    def _serve_fetches(self, client: KioskClient) -> None:
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
                elif what == "rewards":
                    self._refresh_rewards(client)
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

    def _settled(self, item: OutboxItem, status: str, reason: str) -> None:
        """A redemption's answer: refused ones wait to be told, taken ones move the balance."""
        if item.kind != "reward_redeem":
            return
        if status == "rejected":
            self.store.add_refusal(item.uuid, item.worker, str(item.payload.get("reward")),
                                   reason)
            log_event(logger, "redeem_refused", logging.WARNING, uuid=item.uuid,
                      worker=item.worker, reason=reason)
            self._post(events.REDEEM_REFUSED, worker=item.worker, uuid=item.uuid)
        elif item.worker:
            self._fetches.put(("points", item.worker))

    def _drain(self, client: KioskClient) -> None:
        while not self._rounds.stopping:
            batch = self.store.claim_batch(self.batch_size)
            if not batch:
                return
            try:
                results = client.post_events([item.as_api() for item in batch])
            except ApiError as exc:
                if exc.status in RETRY_STATUSES:
                    self._nack_all(batch, str(exc))
                    raise
                self._isolate(batch, str(exc))
                continue
            except ClientError as exc:
                self._nack_all(batch, str(exc))
                raise
            self.batch_size = self.max_batch
            counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
            for item, result in zip(batch, results, strict=True):
                status = result.get("status")
                if status in ("accepted", "duplicate"):
                    self.store.ack(item.uuid)
                    self._settled(item, "accepted", "")
                else:
                    reason = str(result.get("reason") or status)
                    self.store.nack(item.uuid, reason, permanent=True)
                    logger.warning("event %s rejected: %s", item.uuid, reason)
                    self._settled(item, "rejected", reason)
                counts[status if status in counts else "rejected"] += 1
            self.store.prune_sent()
            self.store.set_setting("last_sync", now_iso())
            log_event(
                logger,
                "sync",
                sent=len(batch),
                accepted=counts["accepted"],
                duplicate=counts["duplicate"],
                rejected=counts["rejected"],
                depth=self.store.depth(),
            )

    def _nack_all(self, batch: list[OutboxItem], reason: str) -> None:
        for item in batch:
            self.store.nack(item.uuid, reason)

    def _isolate(self, batch: list[OutboxItem], reason: str) -> None:
        """The server refused a whole batch: send halves until the event it cannot take is
        alone, then mark that one failed so it never blocks the others."""
        if len(batch) == 1:
            self.store.nack(batch[0].uuid, reason, permanent=True)
            logger.warning("event %s refused: %s", batch[0].uuid, reason)
            self._settled(batch[0], "rejected", reason)
            return
        self.batch_size = max(1, len(batch) // 2)
        self._nack_all(batch, reason)

    def _refresh_roster(self, client: KioskClient) -> None:
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

    def _set_online(self, online: bool, reason: str | None = None) -> None:
        try:
            depth = self.store.depth()
        except StoreError:
            depth = -1
        if online != self.online:
            log_event(logger, "server_status", online=online, reason=reason, depth=depth)
        self.online = online
        self._post(events.SYNC_STATUS, online=online, depth=depth)
