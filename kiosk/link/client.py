"""HTTP client of /api/v1 (docs/ARCHITECTURE.md, "The kiosk–server contract"), transport injectable.

Every request carries ``X-Kiosk-Version`` and ``X-Kiosk-Queue-Depth`` (the outbox depth
from ``queue_depth``), and ``Authorization: Bearer <token>`` once the kiosk is enrolled.
Network failures and 5xx answers raise :class:`ServerUnavailable`; 4xx answers raise
:class:`ApiError` with the server's error code. ``tls`` is the pinned context from
kiosk/link/trust.py: the client then trusts that one certificate and nothing else; ``server_id``
names the server that certificate belongs to (the outbox sends it only that server's
events). Every answer's ``Date`` header updates ``clock_offset_s`` (server minus kiosk
clock), to notice a kiosk clock that is hours off, and ``boot_offset_s`` (server minus the
seconds since boot), by which events are stamped (kiosk/clock.py).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from kiosk import __version__
from kiosk.clock import since_boot
from kiosk.errors import ApiError, ServerUnavailable

API = "/api/v1"


class KioskClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        queue_depth: Callable[[], int] = lambda: 0,
        timeout: float = 5.0,
        tls: ssl.SSLContext | None = None,
        server_id: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.server_id = server_id
        self._queue_depth = queue_depth
        self.clock_offset_s: float | None = None
        self.boot_offset_s: float | None = None
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                  verify=tls if tls is not None else True)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KioskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "X-Kiosk-Version": __version__,
            "X-Kiosk-Queue-Depth": str(self._queue_depth()),
            "Accept": "application/json",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        try:
            response = self._http.request(
                method, API + path, headers=self._headers(headers), **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"{method} {path}: {exc.__class__.__name__}: {exc}") from exc
        self._note_clock(response)
        if response.status_code >= 500:
            raise ServerUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            code, message = "http_error", response.reason_phrase
            try:
                error = response.json().get("error", {})
                code, message = error.get("code", code), error.get("message", message)
            except (ValueError, AttributeError):
                pass
            raise ApiError(response.status_code, code, message)
        return response

    def _note_clock(self, response: httpx.Response) -> None:
        date = response.headers.get("Date")
        if not date:
            return
        try:
            server_time = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        # Date has whole seconds; the answer took part of one more to arrive.
        self.clock_offset_s = server_time - time.time()
        self.boot_offset_s = server_time - since_boot()

    def health(self) -> dict[str, Any]:
        return self._request("GET", "/health").json()

    def enroll(self, code: str) -> dict[str, Any]:
        """Trade a one-time enrolment code for a device token: ``{"token", "kiosk",
        "server_id", "keys"}``."""
        return self._request("POST", "/enroll", json={"code": code}).json()

    def keys(self) -> dict[str, Any]:
        """The server's keys for kiosks (``site_key``, ``sealing_key``, ``sealing_key_id``),
        as the enrolment answer has them: for a kiosk enrolled before keys."""
        body = self._request("GET", "/keys").json()
        if isinstance(body, dict) and isinstance(body.get("keys"), dict):
            return body["keys"]
        return body if isinstance(body, dict) else {}

    def roster(self, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """The roster and its ETag, or ``(None, etag)`` when unchanged (304)."""
        headers = {"If-None-Match": etag} if etag else None
        response = self._request("GET", "/roster", headers=headers)
        if response.status_code == 304:
            return None, etag
        return response.json(), response.headers.get("ETag")

    def scorecard(self, worker: str, period: str = "week") -> dict[str, Any]:
        path = f"/workers/{worker}/scorecard"
        return self._request("GET", path, params={"period": period}).json()

    def scorecard_if_changed(self, worker: str, period: str, etag: str | None
                             ) -> tuple[dict[str, Any] | None, str | None]:
        """The scorecard and its ETag, or ``(None, etag)`` when unchanged (304)."""
        headers = {"If-None-Match": etag} if etag else None
        response = self._request("GET", f"/workers/{worker}/scorecard",
                                 params={"period": period}, headers=headers)
        if response.status_code == 304:
            return None, etag
        return response.json(), response.headers.get("ETag")

    def post_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send events; one result per event in the same order."""
        body = self._request("POST", "/events", json={"events": events}).json()
        results = body.get("results")
        if not isinstance(results, list) or len(results) != len(events):
            raise ApiError(200, "bad_results", "results do not match the events sent")
        return results

    def leaderboard(self, workshop: str, period: str = "week") -> dict[str, Any]:
        params = {"workshop": workshop, "period": period}
        return self._request("GET", "/leaderboard", params=params).json()

    def videos(self) -> list[dict[str, Any]]:
        body = self._request("GET", "/videos").json()
        return body.get("videos", []) if isinstance(body, dict) else body

    def download(self, url: str) -> bytes:
        """A file the server pointed to (a worker's photo): absolute, or relative to the server."""
        try:
            response = self._http.get(url, headers=self._headers())
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"GET {url}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise ServerUnavailable(f"GET {url}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ApiError(response.status_code, "http_error", response.reason_phrase)
        return response.content

    @contextmanager
    def stream(self, url: str, headers: dict[str, str] | None = None
               ) -> Iterator[httpx.Response]:
        """A large file the server pointed to (a training video), to read in chunks with
        ``iter_bytes``; a connection lost while reading raises ServerUnavailable too."""
        try:
            with self._http.stream("GET", url, headers=self._headers(headers)) as response:
                if response.status_code >= 500:
                    raise ServerUnavailable(f"GET {url}: HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise ApiError(response.status_code, "http_error", response.reason_phrase)
                yield response
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"GET {url}: {exc.__class__.__name__}: {exc}") from exc

    def pending_claims(self, workshop: str) -> list[dict[str, Any]]:
        """Claims waiting for a supervisor; a server without the endpoint has none."""
        try:
            body = self._request(
                "GET", "/claims", params={"status": "pending", "workshop": workshop}
            ).json()
        except ApiError as exc:
            if exc.status == 404:
                return []
            raise
        return body.get("claims", []) if isinstance(body, dict) else body

    def points(self, worker: str) -> dict[str, Any]:
        """The worker's points account: balance, last lines, entitlements, redemptions."""
        return self._request("GET", f"/workers/{worker}/points").json()

    def growth(self, worker: str) -> dict[str, Any]:
        """The worker's growth record: radar, training, tiers, rewards, grade, suggestions."""
        return self._request("GET", f"/workers/{worker}/growth").json()

    def rewards(self, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """The rewards catalogue and its ETag, or ``(None, etag)`` when unchanged (304)."""
        headers = {"If-None-Match": etag} if etag else None
        response = self._request("GET", "/rewards", headers=headers)
        if response.status_code == 304:
            return None, etag
        return response.json(), response.headers.get("ETag")

    def pending_redemptions(self, workshop: str) -> list[dict[str, Any]]:
        """Redemptions of ``workshop`` waiting to be handed over."""
        body = self._request("GET", "/redemptions", params={"workshop": workshop}).json()
        return body.get("redemptions", []) if isinstance(body, dict) else body

    def alerts(self, workshop: str) -> list[dict[str, Any]]:
        """The open alerts (machine faults, quality issues) of ``workshop``: not resolved,
        the oldest unacknowledged first."""
        body = self._request("GET", "/alerts", params={"workshop": workshop}).json()
        rows = body.get("alerts", []) if isinstance(body, dict) else body
        return rows if isinstance(rows, list) else []
