"""The day sums kept on write (services/scores/aggregates.py), from outside: through the
`shopfloor-server aggregates rebuild [--check]` command on both engines, against a
database whose sums someone edited by hand (a copied database, a "fix" in SQL).

Every scoring scenario in tests/server/scores, metrics, periods and points ends with the
same check (tests/support/day_sums.py); here it is the command that must catch the lie.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from server.cli import main
from server.config import Config
from server.models import Event, RecordSource, Worker
from server.services.production.records import upsert_production, validate_production_rows
from server.services.scores.aggregates import mark_added_badge_ins, rebuild, settle
from server.services.scores.scorecards import leaderboard
from support.factory import Factory, PostEvents, make_event

ZONE = ZoneInfo("Asia/Shanghai")
WEDNESDAY = date(2026, 3, 11)


@pytest.fixture
def cli(config: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("SHOPFLOOR_DATABASE_URL", config.database_url)
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    return config


def _check(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["aggregates", "rebuild", "--check", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_catches_hand_edited_sums_and_rebuild_restores_them(
        session: Session, factory: Factory, cli: Config,
        capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"date": f"2026-03-{day:02d}", "shift": "day", "worker_code": "W001",
             "machine_code": "M1", "planned_minutes": 480, "run_minutes": 420,
             "output": 200, "defects": 2} for day in (9, 10, 11)]
    upsert_production(session, validate_production_rows(session, rows).rows,
                      RecordSource.IMPORT, "test")
    session.commit()
    honest = leaderboard(session, "W1", "week", WEDNESDAY, ZONE)
    assert _check(capsys) == (0, {"differences": [], "ok": True})

    # Someone "helps" W001 in SQL: output in a day's sums and in the week's roll-up.
    session.execute(text("UPDATE worker_day_sums SET output = output + 5000"))
    session.execute(text("UPDATE worker_period_sums SET output = output + 5000 "
                         "WHERE period = 'week'"))
    session.commit()
    code, found = _check(capsys)
    assert code == 1 and found["ok"] is False
    listed = "\n".join(found["differences"])  # type: ignore[arg-type]
    assert "W001 2026-03-09 output: stored 5200.0, records say 200.0" in listed
    assert "W001 week of 2026-03-09 output: stored 5600.0, records say 600.0" in listed

    assert main(["aggregates", "rebuild", "--json"]) == 0
    rebuilt = json.loads(capsys.readouterr().out)
    assert rebuilt["rebuilt"] is True and rebuilt["day_rows"] == 3
    assert _check(capsys) == (0, {"differences": [], "ok": True})
    session.expire_all()
    assert leaderboard(session, "W1", "week", WEDNESDAY, ZONE) == honest


def test_check_in_another_zone_says_to_rebuild(
        session: Session, factory: Factory, cli: Config, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Europe/Berlin")
    code, found = _check(capsys)
    assert code == 1
    assert "dated in Asia/Shanghai, the server runs in Europe/Berlin" in str(found)
    assert main(["aggregates", "rebuild", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["zone"] == "Europe/Berlin"
    assert _check(capsys)[0] == 0


def _second_waits_for_first(sessions: Callable[[], Session],
                            tap: Callable[[Session, str], None]) -> None:
    """The first transaction taps and settles (its day summed or counted, and locked) but
    does not commit yet; a second taps the same day and commits meanwhile, in a thread."""
    first = sessions()
    tap(first, "tap-one")
    settle(first)
    done = threading.Event()

    def second() -> None:
        with sessions() as other:
            tap(other, "tap-two")
            other.commit()
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert done.is_set()


def test_two_transactions_summing_the_same_day_keep_both(
        session: Session, factory: Factory, app: object) -> None:
    """Two kiosks send the same worker's badge-ins at once (no audit lock orders them):
    the second transaction waits on the day's stamp until the first commits, then counts
    both. On PostgreSQL, without that lock, each would count only its own tap and the
    later one would keep a sum of 1 where the records hold 2."""
    sessions = app.extensions["shopfloor.sessionmaker"]  # type: ignore[attr-defined]
    at = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # 09:00 in the factory

    def tap(writer: Session, name: str) -> None:
        worker = writer.scalars(select(Worker).where(Worker.code == "W001")).one()
        writer.add(Event(uuid=name, kind="badge_in", worker_id=worker.id, body_hash="x",
                         occurred_at=at))
        writer.flush()

    _second_waits_for_first(sessions, tap)
    session.rollback()
    assert rebuild(session, check=True) == []
    assert session.execute(text("SELECT badge_ins FROM worker_day_sums")).scalar() == 2


def _day_state(session: Session) -> tuple[object, ...]:
    """(badge-ins in W001's day sums, the sum of its workshop's stamps, its period sums)."""
    session.rollback()
    return (session.execute(text(
                "SELECT s.badge_ins FROM worker_day_sums s JOIN workers w "
                "ON w.id = s.worker_id WHERE w.code = 'W001'")).scalar(),
            session.execute(text("SELECT coalesce(sum(stamp), 0) FROM score_stamps")).scalar(),
            session.execute(text("SELECT * FROM worker_period_sums ORDER BY 1, 2, 3")).all())


def test_taps_are_counted_as_they_come_and_only_a_days_first_moves_a_standing(
        session: Session, factory: Factory, post_events: PostEvents) -> None:
    """A batch's badge-ins raise their day's count instead of summing the day again: the
    first of the day stamps the workshop and rolls up the week and month, later ones only
    count, a resent batch counts nothing, and the check still finds the counts right."""
    first = make_event("badge_in", "W001")
    post_events(first)
    counted, stamps, periods = _day_state(session)
    assert counted == 1 and stamps == 1
    post_events(make_event("badge_in", "W001"), make_event("badge_in", "W001"))
    assert _day_state(session) == (3, 1, periods)  # nothing scoring reads moved
    assert post_events(first)[0]["status"] == "duplicate"
    assert _day_state(session)[0] == 3
    assert rebuild(session, check=True) == []


def test_two_batches_counting_the_same_day_keep_both(
        session: Session, factory: Factory, app: object) -> None:
    """The counted path under the same lock as the summed one: a batch that counts a tap
    while another batch's count of the same day is not committed waits for it, then adds
    its own (on PostgreSQL an UPSERT that did not wait would still add; the lock keeps it
    in order with a batch summing the day again)."""
    sessions = app.extensions["shopfloor.sessionmaker"]  # type: ignore[attr-defined]
    at = datetime.now(UTC).replace(microsecond=0)

    def tap(writer: Session, name: str) -> None:
        worker = writer.scalars(select(Worker).where(Worker.code == "W001")).one()
        writer.execute(insert(Event), [{"uuid": name, "kind": "badge_in",
                                        "worker_id": worker.id, "body_hash": "x",
                                        "occurred_at": at}])
        mark_added_badge_ins(writer, [(worker.id, at)])

    _second_waits_for_first(sessions, tap)
    session.rollback()
    assert rebuild(session, check=True) == []
    assert session.execute(text("SELECT badge_ins FROM worker_day_sums")).scalar() == 2
