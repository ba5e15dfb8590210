from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from server.models import AuditEntry
from server.services import audit
from server.services.audit import record, verify_chain
from support.factory import Plant


def _three_entries(session: Session) -> list[AuditEntry]:
    entries = [
        record(session, "cli", "worker.create", "worker", "W001", after={"name": "张三"}),
        record(session, "user:li", "points.approve", "point_entry", 7,
               before={"status": "pending"}, after={"status": "approved", "points": 10}),
        record(session, "kiosk:K1", "remark.create", "point_entry", 8, after={"points": 5}),
    ]
    session.commit()
    return entries


def test_an_untouched_chain_verifies(session: Session) -> None:
    _three_entries(session)
    report = verify_chain(session)
    assert report.ok and report.entries == 3


def test_each_entry_links_to_the_previous_hash(session: Session) -> None:
    first, second, third = _three_entries(session)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash


def test_altering_a_row_is_detected(session: Session) -> None:
    _, second, _ = _three_entries(session)
    session.execute(update(AuditEntry).where(AuditEntry.id == second.id)
                    .values(after={"status": "approved", "points": 100}))
    session.commit()
    report = verify_chain(session)
    assert not report.ok and report.first_bad_id == second.id


def test_deleting_a_middle_row_is_detected(session: Session) -> None:
    _, second, third = _three_entries(session)
    session.execute(delete(AuditEntry).where(AuditEntry.id == second.id))
    session.commit()
    report = verify_chain(session)
    assert not report.ok and report.first_bad_id == third.id


def test_deleting_the_newest_row_is_detected(session: Session) -> None:
    _, _, third = _three_entries(session)
    session.execute(delete(AuditEntry).where(AuditEntry.id == third.id))
    session.commit()
    report = verify_chain(session)
    assert not report.ok and report.problem == "the newest entries were deleted"


def test_entries_keep_chinese_text_as_written(session: Session) -> None:
    _three_entries(session)
    first = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
    assert first is not None and first.after == {"name": "张三"}


def test_verification_finds_an_altered_row(session: Session, plant: Plant) -> None:
    session.commit()
    assert audit.verify_chain(session).ok
    session.execute(text("UPDATE audit_entries SET actor = 'someone else' WHERE id = 3"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3
