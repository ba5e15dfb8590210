"""The fast path (sums from the database, totals without cards) agrees with the engine.

A ranking scores everyone but the worker who is looking from sums the database makes;
here a random workshop is ranked both ways, from its rows with `score` and `rank`, and
from its sums with `build_standing`, and every place must be the same.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from server.models import (
    EntryStatus,
    Event,
    Machine,
    PointEntry,
    ProductionRecord,
    RecordSource,
    Role,
    TrainingProgress,
    TrainingVideo,
    Worker,
    Workshop,
)
from server.scoring import period_span, previous_span, rank, score
from server.services.scores.aggregates import establish
from server.services.scores.inputs import Training, load_inputs, people
from server.services.scores.schemes import import_scheme, scheme_for, to_scheme
from server.services.scores.standings import build_standing

ZONE = ZoneInfo("Europe/Berlin")  # summer time ends on 25 October 2026
SCHEMES = {
    "threshold": """\
name: random threshold
workshops: [R1]
period: week
mode: threshold
effective_from: 2026-01-01
dimensions:
  - {key: uptime, target: 0.75, points: 40}
  - {key: defect_rate, target: 0.03, points: 20}
  - {key: output, target: 500, points: 10}
  - {key: training, target: 1, points: 10}
  - {key: attendance, target: 0.8, points: 20}
hourly_points: 0.5
points_cap: 15
tiers:
  - {key: excellent, top_percent: 10}
  - {key: good, top_percent: 25}
  - {key: improved, most_improved_percent: 20}
""",
    "weighted": """\
name: random weighted
workshops: [R1]
period: month
mode: weighted
effective_from: 2026-01-01
dimensions:
  - {key: uptime, target: 0.8, weight: 30}
  - {key: defect_rate, target: 0.02, weight: 20, cap: 1.5}
  - {key: output, target: 2000, weight: 20, cap: 1.2}
  - {key: attendance, target: 0.9, weight: 10}
  - {key: points, target: 30, weight: 20}
tiers:
  - {key: excellent, top_percent: 10}
  - {key: improved, most_improved_percent: 10}
""",
}
FIRST_DAY, LAST_DAY = date(2026, 9, 20), date(2026, 10, 31)


def _random_workshop(session: Session, rnd: random.Random) -> Workshop:
    shop = Workshop(code="R1", name="随机车间")
    machines = [Machine(code=f"M{i}", name=f"机床{i}", workshop=shop) for i in range(3)]
    workers = [Worker(code=f"R{i:03d}", name=f"工人{i}", workshop=shop,
                      role=Role.SUPERVISOR if i % 9 == 0 else Role.WORKER,
                      active=rnd.random() > 0.05)
               for i in range(30)]
    session.add_all([shop, *machines, *workers])
    videos = [TrainingVideo(title=f"课程{i}", sha256="0" * 64, size_bytes=1, duration_s=60,
                            file_path=f"v{i}.mp4", required=True, workshops=[shop],
                            roles=["worker"] if i == 2 else [],
                            required_by=date(2026, 10, 1 + 9 * i) if i else None,
                            created_at=datetime(2026, 9, 1 + 10 * i, tzinfo=UTC))
              for i in range(3)]
    session.add_all(videos)
    session.flush()
    day = FIRST_DAY
    while day <= LAST_DAY:
        for worker in workers:
            if rnd.random() < 0.15:
                continue
            for shift in rnd.sample(["A", "B", "C"], rnd.choice([1, 1, 1, 2])):
                planned = rnd.choice([0.0, 240.0, 480.0, 480.0, 480.0])
                output = rnd.randint(0, 200)
                session.add(ProductionRecord(
                    date=day, shift=shift, worker_id=worker.id,
                    machine_id=rnd.choice(machines).id, planned_minutes=planned,
                    run_minutes=round(planned * rnd.uniform(0.4, 1.0), 1), output=output,
                    defects=rnd.randint(0, max(output // 15, 0)),
                    source=RecordSource.IMPORT))
            for _ in range(rnd.choice([0, 1, 1, 1, 2])):  # taps around the local midnight
                at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                    hours=rnd.choice([-3, -1, 0, 5, 7, 22, 23]), minutes=rnd.randint(0, 59))
                session.add(Event(uuid=f"tap-{rnd.getrandbits(64):x}", kind="badge_in",
                                  worker_id=worker.id, body_hash="x", occurred_at=at))
            if rnd.random() < 0.1:
                session.add(PointEntry(
                    worker_id=worker.id, points=rnd.choice([2.5, 5, 10, 20]), date=day,
                    status=rnd.choice(list(EntryStatus))))
        day += timedelta(days=1)
    for worker in workers:
        for video in videos:
            if rnd.random() < 0.6:
                session.add(TrainingProgress(
                    worker_id=worker.id, video_id=video.id, seconds_watched=60,
                    completed_at=datetime(2026, 9, 15, tzinfo=UTC)
                    + timedelta(hours=rnd.randint(0, 1200))))
    session.flush()
    return shop


@pytest.mark.parametrize("sums", ["day sums", "records"])
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("kind", sorted(SCHEMES))
def test_ranking_from_sums_equals_ranking_from_rows(session: Session, seed: int,
                                                    kind: str, sums: str) -> None:
    """With "day sums" the sums are kept on write in the zone read (dated across the
    change from summer time); with "records" they are dated in another zone, so the
    database sums the records themselves."""
    if sums == "day sums":
        establish(session, ZONE)
    rnd = random.Random(seed)
    shop = _random_workshop(session, rnd)
    import_scheme(session, SCHEMES[kind], actor="test")
    session.flush()
    scheme_row = scheme_for(session, shop.id, FIRST_DAY)
    assert scheme_row is not None
    scheme = to_scheme(scheme_row)
    persons = people(session, shop.id)
    training = Training(session, shop.id, [p.id for p in persons], ZONE)
    for on, today in ((date(2026, 10, 20), date(2026, 10, 20)),   # a period under way
                      (date(2026, 10, 26), date(2026, 11, 2))):   # a finished one
        span = period_span(scheme.period, on)
        rows = load_inputs(session, persons, span, training, ZONE)
        before = previous_span(span)
        earlier = load_inputs(session, persons, before, training, ZONE)
        previous = {p.code: score(scheme, earlier[p.id], before).total for p in persons}
        expected = rank([score(scheme, rows[p.id], span, today) for p in persons], previous)
        fast = build_standing(session, shop, span, ZONE, today)
        assert [(p.worker_code, p.total, p.projected_total, p.rank, p.rank_of, p.tier,
                 p.next_tier, p.awards, p.projected_tier, p.improvement)
                for p in fast.placings] == [
            (c.worker_code, c.total, c.projected_total, c.rank, c.rank_of, c.tier,
             c.next_tier, c.awards, c.projected_tier, c.improvement) for c in expected]
        assert any(p.improvement for p in fast.placings)
        detailed = build_standing(session, shop, span, ZONE, today, detail_all=True)
        assert [detailed.card(c.worker_code) for c in expected] == expected
