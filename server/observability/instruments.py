"""The counters and histograms the API updates as it serves.

One `Instruments` per app (`create_app`), on a registry of its own, so that two apps in one
process (tests) count apart. Under gunicorn, `multiprocess.enable` ran before the app was
built: every value then lives in a file of its process in the metrics folder, and a scrape
adds up the files of every worker, living or dead (views.py). Without it (the Flask test
client, one process) the registry itself is what a scrape reads.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence

from flask import current_app
from prometheus_client import CollectorRegistry, Counter, Histogram

from server.services.events.ingest import EventResult, Prepared
from server.services.events.kinds import KINDS

# A batch stored: most take milliseconds; SQLite under several kiosks at once, or a
# batch of 500, seconds.
INGEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A scorecard: from the memo in a millisecond, built in tens.
SCORECARD_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# The kind label of an event that did not name a kind the server knows: the label takes
# only the known kinds, so a kiosk cannot make series up.
UNKNOWN_KIND = "unknown"


class Instruments:
    """What the API counts and times; every name starts with `shopfloor_`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "shopfloor_events_ingested", "Kiosk events answered by POST /api/v1/events, "
            "by kind and result (accepted, duplicate, rejected)", ("kind", "result"),
            registry=self.registry)
        self.ingest_seconds = Histogram(
            "shopfloor_ingest_duration_seconds", "Time to store one batch of kiosk "
            "events, from the request to the commit", buckets=INGEST_BUCKETS,
            registry=self.registry)
        self.scorecard_seconds = Histogram(
            "shopfloor_scorecard_duration_seconds", "Time to answer a kiosk's "
            "GET /workers/<code>/scorecard, by period and source (memo: as last served; "
            "built: computed)", ("period", "source"), buckets=SCORECARD_BUCKETS,
            registry=self.registry)
        self.wall_polls = Counter(
            "shopfloor_wall_polls", "Wall displays' polls of their board, by what answered "
            "(loop: a 304 the serving loop repeated without the app, wall/poll_memo.py; "
            "app: the wall view)", ("answered_by",), registry=self.registry)

    def wall_poll(self, answered_by: str) -> None:
        self.wall_polls.labels(answered_by).inc()

    def ingested(self, kinds: Sequence[str], results: Sequence[EventResult],
                 seconds: float) -> None:
        """One batch stored: each event's kind and result, and the time it took."""
        tally = Tally(zip(kinds, (r.status for r in results), strict=True))
        for (kind, status), count in tally.items():
            self.events.labels(kind, status).inc(count)
        self.ingest_seconds.observe(seconds)

    def scorecard(self, period: str, source: str, seconds: float) -> None:
        self.scorecard_seconds.labels(period, source).observe(seconds)


def batch_kinds(raw: Sequence[object], prepared: Sequence[Prepared | EventResult]
                ) -> list[str]:
    """The kind label of each event of a batch: its checked kind, or for one refused
    before that the kind it named when the server knows it, else `unknown`."""
    kinds = []
    for item, ready in zip(raw, prepared, strict=True):
        if isinstance(ready, Prepared):
            kinds.append(str(ready.event.kind))
            continue
        named = item.get("kind") if isinstance(item, dict) else None
        kinds.append(named if isinstance(named, str) and named in KINDS else UNKNOWN_KIND)
    return kinds


def instruments() -> Instruments:
    """The app's instruments (made by `create_app`)."""
    found: Instruments = current_app.extensions["shopfloor.instruments"]
    return found
