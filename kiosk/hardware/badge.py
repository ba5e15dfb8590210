"""Badge readers over PC/SC (pcscd) with pyscard.

One thread blocks in ``SCardGetStatusChange`` on every reader plus the PnP notification
slot, so it wakes only when a card or a reader comes or goes. A card that arrives is read
once with ``FF CA 00 00 00`` (GET UID); holding it on the reader does not repeat it, while
a card taken off and put back between two polls still counts again (pcscd's card-event
counter in the high 16 bits of the reader state tells). A reader unplugged and plugged
back in, or pcscd restarting, is picked up again.

The card's number is digested here, on the reader's thread, with the function the kiosk
passes in (``Store.card_credential``: the keyed digest the roster carries, ~25 ms on
purpose, so never on the UI thread). The number itself goes on only in memory, in the
``BADGE`` event, for the unknown-card path; no log line names it or its digest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk import events
from kiosk.logs import log_event

logger = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
PNP_READER = "\\\\?PnP?\\Notification"
WAIT_MS = 5000
RETRY_S = 1.0

# A card number (upper-case hex) -> the roster's digest of it, or None (no site key yet).
Digest = Callable[[str], str | None]
# (digest or None, the number, the reader's name, when the reader saw the card)
BadgeCallback = Callable[[str | None, str, str, float], None]


def post_badge(credential: str | None, number: str, reader: str, seen_at: float) -> None:
    events.post(events.BADGE, credential=credential, number=number, kind="card",
                reader=reader, seen_at=seen_at)


def hand_over(number: str, reader: str, seen_at: float, digest: Digest,
              on_badge: BadgeCallback) -> None:
    """Digest a card a reader saw and pass it on, from the reader's own thread (PC/SC here,
    keyboard wedges in wedge.py). Neither failure may stop the reader, nor leave the number
    in a traceback."""
    try:
        credential = digest(number)
    except Exception as exc:  # the card still counts: the server knows it by its number
        log_event(logger, "badge_digest_failed", logging.WARNING, reader=reader,
                  error=type(exc).__name__)
        credential = None
    try:
        on_badge(credential, number, reader, seen_at)
    except Exception as exc:  # never a traceback: its locals could name the number
        log_event(logger, "badge_callback_failed", logging.ERROR, reader=reader,
                  error=type(exc).__name__)


class PcscBadgeReader:
    """Serves every PC/SC reader pcscd knows, now and later."""

    def __init__(self, digest: Digest, on_badge: BadgeCallback = post_badge) -> None:
        self._digest = digest
        self._on_badge = on_badge
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: int | None = None
        self._context_lock = threading.Lock()
        self.readers: list[str] = []

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-badge", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        with self._context_lock:
            if self._context is not None:
                from smartcard import scard

                scard.SCardCancel(self._context)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            from smartcard import scard
        except ImportError as exc:
            log_event(logger, "pcsc_unavailable", logging.ERROR, reason=str(exc))
            return
        service_up = True
        while not self._stop.is_set():
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                if service_up:
                    log_event(logger, "pcsc_unavailable", logging.WARNING,
                              reason=scard.SCardGetErrorMessage(hresult))
                service_up = False
                self._stop.wait(RETRY_S)
                continue
            service_up = True
            with self._context_lock:
                self._context = context
            try:
                self._watch(context)
            except Exception:
                logger.exception("badge reader loop failed; starting again")
                self._stop.wait(RETRY_S)
            finally:
                with self._context_lock:
                    self._context = None
                self.readers = []
                scard.SCardReleaseContext(context)

    def _watch(self, context: int) -> None:
        """Wait for changes until the service goes away or we are stopped."""
        from smartcard import scard

        states: dict[str, int] = {}
        present: dict[str, bool] = {}
        counters: dict[str, int] = {}
        self._refresh_readers(context, states, present)
        while not self._stop.is_set():
            query = [(name, state) for name, state in states.items()]
            hresult, changed = scard.SCardGetStatusChange(context, WAIT_MS, query)
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult == scard.SCARD_E_CANCELLED or self._stop.is_set():
                return
            if hresult != scard.SCARD_S_SUCCESS:
                log_event(logger, "pcsc_lost", logging.WARNING,
                          reason=scard.SCardGetErrorMessage(hresult))
                self._stop.wait(RETRY_S)
                return
            relist = False
            for name, event_state, _atr in changed:
                states[name] = event_state & ~scard.SCARD_STATE_CHANGED
                if name == PNP_READER:
                    relist = relist or bool(event_state & scard.SCARD_STATE_CHANGED)
                    continue
                if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                    relist = True
                    continue
                is_present = bool(event_state & scard.SCARD_STATE_PRESENT)
                swapped = counters.get(name, event_state >> 16) != event_state >> 16
                if is_present and (swapped or not present.get(name, False)):
                    self._read_card(context, name, time.perf_counter())
                present[name] = is_present
                counters[name] = event_state >> 16
            if relist:
                self._refresh_readers(context, states, present)

    def _refresh_readers(self, context: int, states: dict[str, int], present: dict[str, bool]):
        from smartcard import scard

        hresult, readers = scard.SCardListReaders(context, [])
        if hresult != scard.SCARD_S_SUCCESS:
            readers = []
        for gone in [name for name in states if name != PNP_READER and name not in readers]:
            del states[gone]
            present.pop(gone, None)
            log_event(logger, "reader_removed", reader=gone)
        for name in readers:
            if name not in states:
                states[name] = scard.SCARD_STATE_UNAWARE
                log_event(logger, "reader_added", reader=name)
        states.setdefault(PNP_READER, scard.SCARD_STATE_UNAWARE)
        self.readers = list(readers)

    def _read_card(self, context: int, reader: str, seen_at: float) -> None:
        from smartcard import scard

        protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        hresult, card, protocol = scard.SCardConnect(
            context, reader, scard.SCARD_SHARE_SHARED, protocols
        )
        if hresult != scard.SCARD_S_SUCCESS:
            logger.warning("cannot connect to the card on %s: %s", reader,
                           scard.SCardGetErrorMessage(hresult))
            return
        try:
            hresult, response = scard.SCardTransmit(card, protocol, GET_UID)
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        if hresult != scard.SCARD_S_SUCCESS or len(response) < 3 or response[-2:] != [0x90, 0x00]:
            log_event(logger, "badge_unreadable", logging.WARNING, reader=reader)
            return
        hand_over(bytes(response[:-2]).hex().upper(), reader, seen_at, self._digest,
                  self._on_badge)
