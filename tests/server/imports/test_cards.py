"""Card numbers in bulk: the workers import's card column and `import_cards` (the CLI's
`badge import`). The number HR's spreadsheet holds (leading zeros lost or not, text or a
number cell), the number printed on the card and the number a reader types are one badge:
the digest a kiosk makes of what its reader types."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Badge, BadgeDigest, BadgeKind, Worker
from server.services.imports import import_cards, import_workers, preview_workers
from server.services.people.badges import assign_card, assign_qr
from shopfloor_trust.cards import card_digest, card_hex, legacy_card_digest
from support.factory import TEST_KEYS

KEYS = TEST_KEYS
# The numbers printed on three EM4100 cards (10D: the last 4 bytes as 10 decimal digits).
PRINTED = ("0013748911", "0002345678", "3000000001")
WORKERS = f"""工号,姓名,车间,角色,语言,卡号
W001,张伟,W1,员工,中文,{PRINTED[0]}
W002,李娜,W1,员工,中文,{PRINTED[1].lstrip("0")}
W003,刘洋,W1,员工,中文,
"""


def kiosk_digest(printed: str, fmt: str = "10D", reverse: bool = False) -> str:
    """What a kiosk holds for the card whose reader types `printed`."""
    return card_digest(card_hex(printed, fmt, reverse=reverse, exact=True), KEYS.site_key)


def cards_of(session: Session, code: str) -> list[str]:
    return sorted(b.credential_hash for b in session.scalars(
        select(Badge).join(Worker).where(Worker.code == code, Badge.kind == BadgeKind.CARD,
                                         Badge.revoked_at.is_(None))))


def xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _workers(session: Session, data: bytes | str, name: str = "w.csv", **kwargs: object
             ) -> object:
    raw = data.encode() if isinstance(data, str) else data
    return import_workers(session, raw, name, actor="hr", keys=KEYS, **kwargs)  # type: ignore[arg-type]


def test_the_card_column_gives_keyed_badges_with_or_without_leading_zeros(
    session: Session,
) -> None:
    report = import_workers(session, WORKERS.encode("gb18030"), "w.csv", actor="hr", keys=KEYS)
    session.commit()
    assert report.imported and report.errors == [], report.to_text()
    assert (report.created, report.cards_assigned, report.cards_replaced) == (3, 2, 0)
    assert cards_of(session, "W001") == [kiosk_digest(PRINTED[0])]
    assert cards_of(session, "W002") == [kiosk_digest(PRINTED[1])]  # "2345678" in the file
    assert cards_of(session, "W003") == []
    badge = session.scalars(select(Badge)).first()
    assert badge is not None and badge.digest is BadgeDigest.KEYED

    again = import_workers(session, WORKERS.encode(), "w.csv", actor="hr", keys=KEYS)
    assert (again.unchanged, again.cards_assigned, again.cards_replaced) == (3, 0, 0)


@pytest.mark.parametrize("cell", [13748911, 13748911.0, "13748911", "0013748911",
                                  " 0013748911 "])
def test_number_cells_from_a_workbook_are_read_back_as_their_digits(
    session: Session, cell: object, make_xls: Callable[..., bytes]
) -> None:
    rows: list[list[object]] = [["code", "name", "workshop", "role", "language", "card"],
                                ["W001", "张伟", "W1", None, None, cell]]
    for name, data in (("w.xlsx", xlsx(*rows)), ("w.xls", make_xls(*rows))):
        report = import_workers(session, data, name, actor="hr", keys=KEYS)
        assert report.errors == [], report.to_text()
        assert cards_of(session, "W001") == [kiosk_digest(PRINTED[0])]
        session.rollback()


@pytest.mark.parametrize("cell", [13748911.5, -1, "1.37489E+07", "00137489110", "abc",
                                  4294967296, True])
def test_a_card_that_is_no_number_in_the_site_format_is_a_named_bad_row(
    session: Session, cell: object
) -> None:
    rows: list[list[object]] = [["工号", "姓名", "车间", "角色", "语言", "卡号"],
                                ["W001", "张伟", "W1", None, None, cell]]
    report = import_workers(session, xlsx(*rows), "w.xlsx", actor="hr", keys=KEYS)
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [(2, "card")]
    assert report.errors[0].reason.startswith("卡号: ")
    assert report.errors[0].reason.endswith(
        "is not a card number in this site's format 10D (such as 0013749039)")
    assert session.scalars(select(Worker)).first() is None


def test_the_same_card_on_two_lines_is_a_named_bad_row(session: Session) -> None:
    data = WORKERS + f"W004,赵六,W1,,,{PRINTED[0].lstrip('0')}\n"
    report = import_workers(session, data.encode(), "w.csv", actor="hr", keys=KEYS)
    assert not report.imported
    assert [(e.row, e.field, str(e.reason)) for e in report.errors] == [
        (5, "card", "卡号: the same card as line 2")]
    assert session.scalars(select(Badge)).first() is None

    skipped = import_workers(session, data.encode(), "w.csv", actor="hr", keys=KEYS,
                             skip_bad=True)
    session.commit()
    assert skipped.imported and skipped.created == 3
    assert session.scalars(select(Worker).where(Worker.code == "W004")).first() is None


def test_a_card_another_worker_holds_is_a_named_bad_row_and_nothing_changes(
    session: Session,
) -> None:
    import_workers(session, WORKERS.encode(), "w.csv", actor="hr", keys=KEYS)
    session.commit()
    moved = WORKERS.replace(f"中文,{PRINTED[0]}\n", "中文,\n").replace(
        "W003,刘洋,W1,员工,中文,\n", f"W003,刘洋,W1,员工,中文,{PRINTED[0]}\n")
    report = import_workers(session, moved.encode(), "w.csv", actor="hr", keys=KEYS)
    assert not report.imported
    assert [(e.row, str(e.reason)) for e in report.errors] == [
        (4, "卡号: this card already belongs to worker W001")]
    session.commit()
    assert cards_of(session, "W001") == [kiosk_digest(PRINTED[0])]
    assert cards_of(session, "W003") == []


def test_a_new_card_replaces_the_workers_old_one_and_its_qr_badge_stays(
    session: Session,
) -> None:
    import_workers(session, WORKERS.encode(), "w.csv", actor="hr", keys=KEYS)
    session.commit()
    _qr, _secret = assign_qr(session, "W001", "hr")
    lost = WORKERS.replace(PRINTED[0], PRINTED[2])
    report = import_workers(session, lost.encode(), "w.csv", actor="hr", keys=KEYS)
    session.commit()
    assert (report.cards_assigned, report.cards_replaced) == (1, 1)
    assert cards_of(session, "W001") == [kiosk_digest(PRINTED[2])]  # the lost card is dead
    kinds = [b.kind for b in session.scalars(select(Badge).join(Worker).where(
        Worker.code == "W001", Badge.revoked_at.is_(None)))]
    assert sorted(kinds) == [BadgeKind.CARD, BadgeKind.QR]


def test_a_legacy_card_is_upgraded_to_its_keyed_digest(session: Session) -> None:
    import_workers(session, WORKERS.replace(PRINTED[0], "").encode(), "w.csv", actor="hr",
                   keys=KEYS)
    w001 = session.scalars(select(Worker).where(Worker.code == "W001")).one()
    number = card_hex(PRINTED[0], "10D")
    session.add(Badge(worker=w001, kind=BadgeKind.CARD, digest=BadgeDigest.LEGACY,
                      credential_hash=legacy_card_digest(number)))
    session.commit()
    report = import_workers(session, WORKERS.encode(), "w.csv", actor="hr", keys=KEYS)
    session.commit()
    # the same card of the same worker: unchanged, its digest made keyed on the way
    assert (report.cards_assigned, report.cards_replaced) == (0, 0), report.to_text()
    badges = session.scalars(select(Badge).where(Badge.worker_id == w001.id)).all()
    assert [(b.digest, b.credential_hash, b.revoked_at) for b in badges] == [
        (BadgeDigest.KEYED, kiosk_digest(PRINTED[0]), None)]


def test_a_card_column_without_the_site_keys_is_a_programming_error(session: Session) -> None:
    with pytest.raises(ValueError, match="site keys"):
        import_workers(session, WORKERS.encode(), "w.csv", actor="hr")
    # without numbers in it, the column needs no keys
    assert import_workers(session, WORKERS.replace(PRINTED[0], "").replace(
        PRINTED[1].lstrip("0"), "").encode(), "w.csv", actor="hr").imported


def test_the_audit_log_never_holds_a_card_number_or_digest(session: Session) -> None:
    import_workers(session, WORKERS.encode(), "w.csv", actor="hr", keys=KEYS)
    import_cards(session, f"worker_code,card\nW003,{PRINTED[2]}\n".encode(), "c.csv",
                 keys=KEYS, actor="hr")
    session.commit()
    logged = json.dumps([[e.before, e.after] for e in session.scalars(select(AuditEntry))])
    for printed in PRINTED:
        number = card_hex(printed, "10D")
        for secret in (printed, printed.lstrip("0"), number, kiosk_digest(printed),
                       legacy_card_digest(number)):
            assert secret not in logged
    summary = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "workers.import")).one()
    assert summary.after is not None and summary.after["cards_assigned"] == 2


# --- badge import: worker_code,card ------------------------------------------------------

def _staff(session: Session) -> None:
    import_workers(session, WORKERS.replace(PRINTED[0], "").replace(
        PRINTED[1].lstrip("0"), "").encode(), "w.csv", actor="hr")
    session.commit()


@pytest.mark.parametrize(("fmt", "reverse", "printed"), [
    ("10D", False, "0013748911"), ("8H", False, "00D1CAAF"), ("8H", True, "AFCAD100"),
    ("6H8D", False, "13748911"), ("2H,4H", False, "209,51887"), ("10D", True, "2949304576")])
def test_badge_import_then_a_kiosk_reading_the_printed_number_finds_the_worker(
    session: Session, fmt: str, reverse: bool, printed: str
) -> None:
    _staff(session)
    stripped = printed.lstrip("0") if "," not in printed else f'"{printed}"'
    data = f"工号,卡号\nW001,{stripped}\n".encode("gb18030")
    report = import_cards(session, data, "cards.csv", keys=KEYS, card_format=fmt,
                          card_reversed=reverse, actor="hr")
    session.commit()
    assert report.imported and (report.created, report.cards_assigned) == (1, 1)
    assert cards_of(session, "W001") == [kiosk_digest(printed, fmt, reverse)]


def test_badge_import_is_all_or_nothing_and_names_every_bad_row(session: Session) -> None:
    _staff(session)
    assign_card(session, KEYS, "W003", card_hex(PRINTED[2], "10D"), "hr")
    session.commit()
    data = ("worker_code,card\n"
            f"W001,{PRINTED[0]}\n"
            f"W404,{PRINTED[1]}\n"          # no such worker
            f"W002,{PRINTED[0]}\n"          # the card of line 2
            f"W001,{PRINTED[1]}\n"          # W001 twice
            f"W002,{PRINTED[2]}\n"          # W003's card
            "W002,\n"                       # no card
            "W002,12345678901\n").encode()  # 11 digits
    report = import_cards(session, data, "cards.csv", keys=KEYS, actor="hr")
    assert not report.imported
    assert [(e.row, e.field, str(e.reason)) for e in report.errors] == [
        (3, "worker_code", "worker_code: no worker 'W404'"),
        (4, "card", "card: the same card as line 2"),
        (5, "worker_code", "worker_code: worker 'W001' is already on line 2"),
        (6, "card", "card: this card already belongs to worker W003"),
        (7, "card", "card: is empty"),
        (8, "card", "card: 12345678901 is not a card number in this site's format 10D (such "
                    "as 0013749039)"),
    ]
    session.commit()
    assert cards_of(session, "W001") == cards_of(session, "W002") == []

    skipped = import_cards(session, data, "cards.csv", keys=KEYS, actor="hr", skip_bad=True)
    session.commit()
    assert skipped.imported and skipped.created == 1
    assert cards_of(session, "W001") == [kiosk_digest(PRINTED[0])]


def test_a_preview_of_a_card_column_stores_nothing(session: Session) -> None:
    preview = preview_workers(session, WORKERS.encode(), "w.csv", keys=KEYS,
                              card_format="10D", card_reversed=False)
    assert preview.report.imported and preview.report.cards_assigned == 2
    assert preview.new_workshops == ["W1"]
    session.commit()
    assert session.scalars(select(Badge)).first() is None
    assert session.scalars(select(Worker)).first() is None
