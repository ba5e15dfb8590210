"""The sync worker: one thread that drains the outbox (oldest first, in batches), backing
off while the server is away (a batch the server refuses outright is split until the one bad
event is alone and marked failed). Each round it also serves what scenes asked for and,
when due, refreshes the roster; that fetching into the store's cache is its
:class:`~kiosk.background.fetches.Fetcher` (kiosk/background/fetches.py), which the
``request_*`` methods queue for. It runs enrolments asked for by the enrol scene, and
notices a revoked token: the kiosk then shows it is not enrolled and keeps its unsent
events for the next enrolment. A ``reward_redeem`` the server rejects is kept with its
reason (``Store.add_refusal``) and announced with ``REDEEM_REFUSED``, so the worker is
told; an accepted one makes it fetch the worker's points again. A supervisor's act the
server rejects (a remark, a claim decision, a hand-over: a wrong or locked PIN in its seal,
say) is kept (``Store.add_refused_act``) and announced with ``ACT_REFUSED``, so the
supervisor is told at their next visit.

It sends the outbox only to the server the kiosk trusts, and only that server's events
(``Store.claim_batch`` by the client's ``server_id``). Before the first batch of a boot it
learns the server's clock (a health check's ``Date``, if no answer has brought one yet) so
that events are stamped with the server's time (kiosk/clock.py) and those made before are
corrected. A kiosk enrolled before the server handed out keys fetches them
(``GET /api/v1/keys``) on its next round.

It talks to the UI only by posting pygame events: ``SYNC_STATUS``, ``ENROLMENT``,
``REDEEM_REFUSED`` and ``ACT_REFUSED`` itself, and through its fetcher ``SCORECARD_READY``,
``CLAIMS_READY``, ``POINTS_READY``, ``REWARDS_READY``, ``REDEMPTIONS_READY`` and
``ROSTER_READY``."""

from __future__ import annotations

import logging
import queue
import random
import time
from collections.abc import Callable
from typing import Any

from kiosk import events, language_choice
from kiosk.background.fetches import PREFETCH_CYCLE_S, PREFETCH_MAX_RATE, Fetcher
from kiosk.background.rounds import Rounds
from kiosk.errors import ApiError, ClientError, KioskError, StoreError
from kiosk.link.client import KioskClient
from kiosk.link.locate import CLOCK_SKEW_WARN_S
from kiosk.local_card import CARD_KINDS
from kiosk.logs import log_event
from kiosk.store import ACT_KINDS, OutboxItem, Store, now_iso
from kiosk.store_outbox import CLOCK_KEEP_S

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
        prefetch_cycle_s: float = PREFETCH_CYCLE_S,
        prefetch_max_rate: float = PREFETCH_MAX_RATE,
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
        self._fetcher = Fetcher(store, post, prefetch_cycle_s=prefetch_cycle_s,
                                prefetch_max_rate=prefetch_max_rate)
        self._failures = 0
        self._next_roster = 0.0
        self._next_keys = 0.0
        self._clock_asked: KioskClient | None = None  # the client asked for the time
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
        self._fetcher.want_scorecard(worker, period)
        self._rounds.wake()

    def request_claims(self, workshop: str) -> None:
        self._fetcher.want_claims(workshop)
        self._rounds.wake()

    def request_points(self, worker: str) -> None:
        self._fetcher.want_points(worker)
        self._rounds.wake()

    def request_growth(self, worker: str) -> None:
        self._fetcher.want_growth(worker)
        self._rounds.wake()

    def request_rewards(self) -> None:
        self._fetcher.want_rewards()
        self._rounds.wake()

    def request_redemptions(self, workshop: str) -> None:
        self._fetcher.want_redemptions(workshop)
        self._rounds.wake()

    def request_alerts(self, workshop: str) -> None:
        self._fetcher.want_alerts(workshop)
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
            self._fetch_keys(self.client)
            self._fetcher.serve_requests(self.client)
            self._fetcher.serve_claims(self.client)
            self._drain(self.client)
            self._fetcher.serve_fetches(self.client)  # after: a taken redemption refetches
            self._fetcher.prefetch(self.client)  # the roster's cards, a few each round
            if time.monotonic() >= self._next_roster:
                self._fetcher.refresh_roster(self.client)
                self._fetcher.want_rewards()  # the catalogue on the next round
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

    def _fetch_keys(self, client: KioskClient) -> None:
        """The server's keys, for a kiosk enrolled before it handed them out."""
        if time.monotonic() < self._next_keys or (
                self.store.sealing_key() is not None and self.store.site_key() is not None):
            return
        self._next_keys = time.monotonic() + self.roster_interval_s
        try:
            keys = self.store.save_keys(client.keys())
        except ApiError as exc:  # a server before keys: ask again with the roster
            log_event(logger, "keys_unavailable", logging.WARNING, reason=str(exc))
            return
        except ValueError as exc:
            log_event(logger, "keys_refused", logging.WARNING, reason=str(exc))
            return
        log_event(logger, "keys_received", sealing_key_id=keys.sealing_key_id)

    def _learn_clock(self, client: KioskClient) -> None:
        """Keep the server's clock before sending: events are stamped with it, and those
        of this boot made before it was known are corrected now (kiosk/clock.py)."""
        if (client.boot_offset_s is None and self._clock_asked is not client
                and self.store.server_clock() is None):
            client.health()  # its Date header
            self._clock_asked = client  # asked once (a server may send no Date at all)
        offset = client.boot_offset_s
        if offset is None:
            return
        kept = self.store.server_clock()
        if kept is not None and abs(kept - offset) <= CLOCK_KEEP_S:
            return
        corrected = self.store.set_server_clock(offset)
        log_event(logger, "server_clock", offset_s=round(client.clock_offset_s or 0.0, 1),
                  corrected=corrected)

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

    def _settled(self, item: OutboxItem, status: str, reason: str) -> None:
        """A supervisor's act refused waits to be told; a redemption's answer: refused ones
        wait to be told, taken ones move the balance. A taken event a cached card showed as
        "not yet confirmed" makes the worker's cards fetched again."""
        if status == "accepted" and item.worker and item.kind in CARD_KINDS:
            self._fetcher.want_fresh_cards(item.worker)
            self._rounds.wake()
        # a chosen language stays on screen only while the server may still take it
        if (item.kind == "language_set" and status == "rejected" and item.worker
                and language_choice.refused(self.store, item.worker,
                                            item.payload.get("language"))):
            self._post(events.ROSTER_READY)
        if item.kind in ACT_KINDS or item.proof is not None:
            if status == "rejected":
                self._act_refused(item, reason)
            return
        if item.kind != "reward_redeem":
            return
        if status == "rejected":
            self.store.add_refusal(item.uuid, item.worker, str(item.payload.get("reward")),
                                   reason)
            log_event(logger, "redeem_refused", logging.WARNING, uuid=item.uuid,
                      worker=item.worker, reason=reason)
            self._post(events.REDEEM_REFUSED, worker=item.worker, uuid=item.uuid)
        elif item.worker:
            self._fetcher.want_points(item.worker)

    def _act_refused(self, item: OutboxItem, reason: str) -> None:
        supervisor = item.supervisor or ""
        self.store.add_refused_act(item.uuid, supervisor, item.kind, item.worker, reason)
        log_event(logger, "act_refused", logging.WARNING, uuid=item.uuid, kind=item.kind,
                  supervisor=supervisor, worker=item.worker, reason=reason)
        self._post(events.ACT_REFUSED, supervisor=supervisor, uuid=item.uuid)

    def _drain(self, client: KioskClient) -> None:
        self._learn_clock(client)
        while not self._rounds.stopping:
            batch = self.store.claim_batch(self.batch_size, server_id=client.server_id)
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

    def _set_online(self, online: bool, reason: str | None = None) -> None:
        try:
            depth = self.store.depth()
        except StoreError:
            depth = -1
        if online != self.online:
            log_event(logger, "server_status", online=online, reason=reason, depth=depth)
        self.online = online
        self._post(events.SYNC_STATUS, online=online, depth=depth)
