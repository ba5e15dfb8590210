"""The app's own pygame event types; adapters post these and nothing else crosses threads.

- ``BADGE``: ``credential`` (the roster's digest: for a card the keyed digest of its
  number, computed on the reader's thread, or None while the kiosk has no site key; for
  a QR badge the sha256 of its text), ``kind`` ("card" | "qr"), ``reader``, ``seen_at``
  (``time.perf_counter()`` when the device produced it); a card's also ``number``, the
  upper-case hex UID, only ever in memory: it goes to the server (over the pinned TLS
  link) when no worker has that card, and never to a log or to disk otherwise.
- ``TAP``: ``pos`` in logical 1280x800 coordinates, from a mouse click or a finger.
- ``SYNC_STATUS``: ``online`` (bool), ``depth`` (outbox queue depth).
- ``SCORECARD_READY``: ``worker``, ``period`` — a fresh scorecard is in the store.
- ``ROSTER_READY``: the cached roster changed.
- ``CLAIMS_READY``: ``workshop`` — the pending claims in the store were refreshed.
- ``QR_TEXT``: ``text`` — a scanned code that is not a badge (e.g. an enrolment code).
- ``POINTS_READY``: ``worker`` — a fresh points account is in the store.
- ``GROWTH_READY``: ``worker`` — a fresh growth record is in the store.
- ``REWARDS_READY``: the cached rewards catalogue (or its pictures) changed.
- ``REDEMPTIONS_READY``: ``workshop`` — the pending hand-overs in the store were refreshed.
- ``ALERTS_READY``: ``workshop`` — the open alerts in the store were refreshed.
- ``REDEEM_REFUSED``: ``worker``, ``uuid`` — the server rejected a ``reward_redeem``; the
  refusal waits in the store until the worker is told.
- ``ACT_REFUSED``: ``supervisor``, ``uuid`` — the server rejected an event of a supervisor's
  act (a remark, a claim decision, a hand-over); it waits in the store (``refused_acts``)
  until the supervisor is told.
- ``ENROLMENT``: ``enrolled`` (bool), ``reason`` — the kiosk enrolled, an enrolment
  failed, or the server no longer takes its token (revoked).
"""

from __future__ import annotations

import hashlib

import pygame

BADGE = pygame.event.custom_type()
TAP = pygame.event.custom_type()
SYNC_STATUS = pygame.event.custom_type()
SCORECARD_READY = pygame.event.custom_type()
ROSTER_READY = pygame.event.custom_type()
CLAIMS_READY = pygame.event.custom_type()
QR_TEXT = pygame.event.custom_type()
VIDEOS_READY = pygame.event.custom_type()
VIDEO_DOWNLOAD = pygame.event.custom_type()
ENROLMENT = pygame.event.custom_type()
POINTS_READY = pygame.event.custom_type()
REWARDS_READY = pygame.event.custom_type()
GROWTH_READY = pygame.event.custom_type()
REDEMPTIONS_READY = pygame.event.custom_type()
ALERTS_READY = pygame.event.custom_type()
REDEEM_REFUSED = pygame.event.custom_type()
ACT_REFUSED = pygame.event.custom_type()


def qr_credential(secret: str) -> str:
    """The roster's hash of a QR badge: sha256 hex of the scanned string."""
    return hashlib.sha256(secret.encode()).hexdigest()


def post(event_type: int, **attrs: object) -> None:
    """Post from any thread; a full queue or a stopped pygame is not the caller's problem."""
    try:
        pygame.event.post(pygame.event.Event(event_type, attrs))
    except pygame.error:
        return
