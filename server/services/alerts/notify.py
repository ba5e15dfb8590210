"""Sending one message to one target with apprise, and naming targets without their keys.

An apprise URL carries the target's secret (`wecombot://KEY`, `dingtalk://TOKEN`,
`json://user:password@host/path?token=...`), so a target is only ever named by `label`:
the scheme, and the host for the schemes whose host is a server (json://, xml://, form://
and their secure forms), else a short digest of the whole URL. apprise's own log lines can
quote a URL or a response, so they are kept out of the server's log (`quiet_apprise`);
the sender logs each attempt itself, by label.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# One message to one target URL: True when the target took it. Tests pass their own.
Transport = Callable[[str, str, str], bool]
# A send that takes longer than this counts as failed (and is tried again later).
SEND_TIMEOUT_S = 10
# Schemes whose host is a web server, not a key.
_HOST_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})


def target_id(url: str) -> str:
    """A digest of the URL, to remember which targets took a message (never the URL)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def label(url: str) -> str:
    """A target as a log line or a person may see it: json://127.0.0.1:8080,
    wecombot://#1a2b3c4d."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower() or "?"
        host = parts.hostname if scheme in _HOST_SCHEMES else None
        port = parts.port if host else None
    except ValueError:
        scheme, host, port = "?", None, None
    if host:
        return f"{scheme}://{host}" + (f":{port}" if port else "")
    return f"{scheme}://#{target_id(url)[:8]}"


def quiet_apprise() -> None:
    """Keep apprise's log lines, which may quote a target's URL, out of the server's log."""
    apprise_logger = logging.getLogger("apprise")
    apprise_logger.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in apprise_logger.handlers):
        apprise_logger.addHandler(logging.NullHandler())


def warm_up() -> None:
    """Load apprise and its plugins now (half a second), not while the first alert waits."""
    quiet_apprise()
    import apprise

    apprise.Apprise().add("json://localhost")  # parsed only: nothing is sent


def apprise_send(url: str, title: str, body: str) -> bool:
    """Send through apprise; False for a URL apprise does not understand, a refusal, a
    timeout or any error on the way (the caller logs the target's label)."""
    quiet_apprise()  # before the import, which logs already
    import apprise

    try:
        sender = apprise.Apprise()
        if not sender.add(url):
            logger.warning("notify_target_not_understood", extra={"target": label(url)})
            return False
        return bool(sender.notify(body=body, title=title, timeout=SEND_TIMEOUT_S))
    except Exception:  # a plugin's own bug must not end the sender: a failed send
        logger.warning("notify_send_error", extra={"target": label(url)})
        return False


@dataclass(frozen=True)
class Outcome:
    target: str  # label(url)
    list: str  # notify | escalate
    sent: bool


def send_test(lists: Mapping[str, Sequence[str]], title: str, body: str,
              transport: Transport = apprise_send) -> list[Outcome]:
    """Send one message to every target of every list (`notify test`)."""
    outcomes = []
    for name, urls in lists.items():
        for url in urls:
            sent = transport(url, title, body)
            logger.info("notify_test", extra={"target": label(url), "list": name,
                                              "sent": sent})
            outcomes.append(Outcome(label(url), name, sent))
    return outcomes
