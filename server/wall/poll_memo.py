"""A wall TV's unchanged poll, answered by the worker's loop without the app.

A TV asks for its board every second, so 200 TVs make 200 requests a second, and nearly
every answer is a 304. Through the app each 304 cost ~2.7 ms of a core (issue 20): the
hand-off to one of the app's threads and back, Flask, the display's lookup and the
board's version query. The board view (wall/views.py) tells this memo, for each display
link it served, the ETag it answered and what the ETag was made of; the worker's loop
(serving/front.py) then answers a poll whose If-None-Match is that ETag with a 304 itself,
for as long as the memo can vouch for it:

- **the board's version** (wall/board.py `board_version`: the newest audit entry, the
  workshops' day stamps, their alerts), per set of workshops shown, for `VERSION_FRESH_S`
  after it was read. The worker's refresher thread (serving/wall_versions.py) reads it
  again every `REFRESH_S` for each set a TV asked about in the last `POLLED_WITHIN_S`; the
  app's view refreshes it too. Should the refresher fall behind (a database busy for a
  moment), the version goes stale and polls go to the app. So a remark, a closed period
  or an alert reaches the screen at most `VERSION_FRESH_S` later than through the app,
  and everything a link's own fate depends on (revoking it, changing how it shows names)
  is an audited change that moves the version, so a revoked link is refused by the app
  within the same time.
- **the display link** for `DISPLAY_FRESH_S` after the app last answered it, so each TV
  still reaches the app that often and its `last_seen` is kept (the view writes it at
  most once a minute).

A 304 carries no data, so answering one a moment late can show an old board for that
moment and nothing more. Anything the memo does not recognise exactly (another path, a
query string, a percent-encoded token, a list of ETags, a weak one) goes to the app. The
memo lives in one worker process: each of gunicorn's workers keeps its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from server.web import SECURITY_HEADERS

VERSION_FRESH_S = 0.25
REFRESH_S = 0.15  # under VERSION_FRESH_S, with room for a slow read
POLLED_WITHIN_S = 5.0
DISPLAY_FRESH_S = 30.0
_PREFIX, _SUFFIX = b"/wall/", b"/board.json"
# What the app's 304 for board.json carries besides its ETag (and the Date the loop adds),
# kept equal by tests/server/wall/test_poll_memo.py. `Vary: Cookie` is Flask's: the admin's
# language choice reads the session on every request.
_HEADERS = (
    (b"cache-control", b"no-cache"),
    (b"vary", b"Cookie"),
    *((name.lower().encode("ascii"), value.encode("ascii"))
      for name, value in SECURITY_HEADERS.items()),
)

Shown = tuple[int, ...] | None  # the workshops a display shows (None: all)


@dataclass(frozen=True)
class _Version:
    text: str  # the board's version and day, the first part of the ETag
    until: float


@dataclass(frozen=True)
class _Link:
    shown: Shown
    suffix: str  # the display's own part of the ETag
    until: float


class WallPollMemo:
    """ETags the app answered for wall boards, and until when the loop may repeat them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 answered: Callable[[], None] | None = None) -> None:
        self._clock = clock
        self._answered = answered  # told of each 304 the memo vouched for
        self._versions: dict[Shown, _Version] = {}
        self._links: dict[bytes, _Link] = {}
        self._polled: dict[Shown, float] = {}  # when a TV last asked, by workshops shown

    def now(self) -> float:
        return self._clock()

    def remember(self, token: str, shown: Iterable[int] | None, version: str, suffix: str,
                 read_at: float) -> None:
        """What the app answered `token` with: the ETag `"{version}-{suffix}"`, where
        `version` was read from the database no earlier than `read_at` (from `now()`)."""
        key: Shown = None if shown is None else tuple(sorted(shown))
        self.refreshed(key, version, read_at)
        self._polled[key] = read_at
        raw = _raw(token)
        if raw is not None:
            self._links[raw] = _Link(key, suffix, read_at + DISPLAY_FRESH_S)

    def refreshed(self, shown: Shown, version: str, read_at: float) -> None:
        """The version of these workshops' board, read no earlier than `read_at`."""
        held = self._versions.get(shown)
        if held is None or held.until <= read_at + VERSION_FRESH_S:
            self._versions[shown] = _Version(version, read_at + VERSION_FRESH_S)

    def asked_about(self) -> list[Shown]:
        """The sets of workshops a TV asked about lately: what the refresher reads. The
        others are dropped, so a memo never grows past the boards in use."""
        since = self._clock() - POLLED_WITHIN_S
        for key, at in list(self._polled.items()):
            if at < since:
                self._polled.pop(key, None)
                self._versions.pop(key, None)
        return list(self._polled)

    def forget(self, token: str) -> None:
        """A link the app refused: every poll of it goes to the app."""
        raw = _raw(token)
        if raw is not None:
            self._links.pop(raw, None)

    def answer(self, method: bytes, target: bytes,
               headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]] | None:
        """The headers of a 304 for this request, or None when the app must answer it."""
        if method != b"GET" or not target.startswith(_PREFIX) or not target.endswith(_SUFFIX):
            return None
        link = self._links.get(target[len(_PREFIX):-len(_SUFFIX)])
        if link is None:
            return None
        now = self._clock()
        self._polled[link.shown] = now
        version = self._versions.get(link.shown)
        if version is None or now >= version.until or now >= link.until:
            return None
        asked = [value for name, value in headers if name == b"if-none-match"]
        etag = f'"{version.text}-{link.suffix}"'.encode("ascii")
        if asked != [etag]:
            return None
        if self._answered is not None:
            self._answered()
        return [(b"etag", etag), *_HEADERS]


def _raw(token: str) -> bytes | None:
    """The token as a request's target spells it; None for one no target spells as it is
    (links are URL-safe ASCII, so such a token is none of ours)."""
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        return None
