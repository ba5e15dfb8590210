"""Gauges read from the database when Prometheus scrapes: the kiosks, alerts and periods.

They describe what is stored, not what one process did, so they are not kept in the
multiprocess files: `FleetCollector` sits on each scrape's own registry (views.py) and
reads the database then, once per scrape, in a few small grouped queries.

    shopfloor_database_up                  1 when the database answered, else 0
    shopfloor_build_info{version}          always 1
    shopfloor_kiosk_queue_depth{kiosk}     events in the kiosk's outbox, as it last said
    shopfloor_kiosk_last_contact_seconds{kiosk}
    shopfloor_alerts_open{workshop,kind,acknowledged}
    shopfloor_periods_closed{workshop,kind}

Kiosks are the enrolled, unrevoked ones; a kiosk that never reported its queue (or never
called) has no queue (or contact) sample. Every workshop has its alert and period samples,
0 included, so that a graph shows a workshop with none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.models import Alert, AlertKind, Kiosk, PeriodState, SettledPeriod, Workshop, utcnow

logger = logging.getLogger(__name__)

PERIOD_KINDS = ("week", "month")


@dataclass
class Fleet:
    """What the database holds, as of `now`."""

    queue_depth: dict[str, int] = field(default_factory=dict)
    last_contact_s: dict[str, float] = field(default_factory=dict)
    # (workshop, kind, acknowledged) -> open alerts
    alerts_open: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    # (workshop, kind) -> closed periods
    periods_closed: dict[tuple[str, str], int] = field(default_factory=dict)


def read_fleet(session: Session, now: datetime) -> Fleet:
    fleet = Fleet()
    kiosks = session.execute(select(Kiosk.name, Kiosk.queue_depth, Kiosk.last_seen).where(
        Kiosk.revoked_at.is_(None), Kiosk.enrolled_at.is_not(None)))
    for name, depth, last_seen in kiosks:
        if depth is not None:
            fleet.queue_depth[name] = depth
        if last_seen is not None:
            fleet.last_contact_s[name] = max((now - last_seen).total_seconds(), 0.0)
    workshops = list(session.scalars(select(Workshop.code)))
    fleet.alerts_open = {(w, k.value, a): 0 for w in workshops for k in AlertKind
                         for a in (False, True)}
    acknowledged = case((Alert.acknowledged_at.is_(None), False), else_=True)
    alerts = session.execute(
        select(Workshop.code, Alert.kind, acknowledged, func.count())
        .join(Workshop, Workshop.id == Alert.workshop_id)
        .where(Alert.resolved_at.is_(None))
        .group_by(Workshop.code, Alert.kind, acknowledged))
    for workshop, kind, acked, count in alerts:
        fleet.alerts_open[(workshop, AlertKind(kind).value, bool(acked))] = count
    fleet.periods_closed = {(w, k): 0 for w in workshops for k in PERIOD_KINDS}
    periods = session.execute(
        select(Workshop.code, SettledPeriod.kind, func.count())
        .join(Workshop, Workshop.id == SettledPeriod.workshop_id)
        .where(SettledPeriod.state == PeriodState.CLOSED)
        .group_by(Workshop.code, SettledPeriod.kind))
    for workshop, kind, count in periods:
        fleet.periods_closed[(workshop, kind)] = count
    return fleet


class FleetCollector:
    """A prometheus_client collector: the gauges above, read at each scrape."""

    def __init__(self, sessionmaker: Callable[[], Session], version: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.sessionmaker = sessionmaker
        self.version = version
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("shopfloor_build_info", "The server's version",
                                 labels=("version",))
        info.add_metric((self.version,), 1)
        yield info
        up = GaugeMetricFamily("shopfloor_database_up",
                                "1 when the database answered this scrape, else 0")
        try:
            with self.sessionmaker() as session:
                fleet = read_fleet(session, self.clock())
        except SQLAlchemyError as error:
            logger.warning("metrics_database_failed", extra={"error": type(error).__name__})
            up.add_metric((), 0)
            yield up
            return
        up.add_metric((), 1)
        yield up
        yield from _gauges(fleet)


def _gauges(fleet: Fleet) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "shopfloor_kiosk_queue_depth", "Events waiting in the kiosk's outbox, as it said "
        "on its last call (X-Kiosk-Queue-Depth)", labels=("kiosk",))
    for kiosk, value in sorted(fleet.queue_depth.items()):
        depth.add_metric((kiosk,), value)
    yield depth
    contact = GaugeMetricFamily(
        "shopfloor_kiosk_last_contact_seconds", "Seconds since the kiosk last called the "
        "server (noted at most every 30 s)", labels=("kiosk",))
    for kiosk, seconds in sorted(fleet.last_contact_s.items()):
        contact.add_metric((kiosk,), seconds)
    yield contact
    alerts = GaugeMetricFamily(
        "shopfloor_alerts_open", "Open (unresolved) andon alerts, by workshop, kind and "
        "whether someone acknowledged them", labels=("workshop", "kind", "acknowledged"))
    for (workshop, kind, acked), count in sorted(fleet.alerts_open.items()):
        alerts.add_metric((workshop, kind, "true" if acked else "false"), count)
    yield alerts
    periods = GaugeMetricFamily(
        "shopfloor_periods_closed", "Settled periods now closed, by workshop and kind "
        "(week, month)", labels=("workshop", "kind"))
    for (workshop, kind), count in sorted(fleet.periods_closed.items()):
        periods.add_metric((workshop, kind), count)
    yield periods
