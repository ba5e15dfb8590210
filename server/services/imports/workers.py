"""Workers from a file: `code,name,workshop,role,language[,card]` (工号,姓名,车间,角色,语言,卡号).

A worker is found by code; a known worker takes the file's name, workshop, role and
language (each change audited with before and after). An empty role means worker and an
empty language zh_CN. A language is a code (zh_CN, en, yue) or its name (中文, 英语,
粤语/粵語, Cantonese …: imports/headers.py). PINs, QR badges and `active` are left alone:
the file says who works where, not who may log in. A code twice in one file is a bad row.

Workshops the file names that do not exist are created with the code as their name, and
reported, unless the caller limits them: `create` lists the new codes HR confirmed
(anything else new is a bad row), and `strict` without `create` allows none.

The optional card column holds the number printed on each worker's card in the site's
card format (`Config.card_format`, shopfloor_trust/cards.py), leading zeros optional
(Excel drops them; a number cell is read back as its digits). The worker gets that card as
a keyed badge and the worker's other cards are revoked (people/badges.py `assign_cards`);
an empty cell leaves the worker's cards alone. A card another worker holds, or the same
card on two lines, is a bad row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Language, Role, Worker, Workshop
from server.services.audit import record as audit
from server.services.devices.keys import ServerKeys
from server.services.imports.cards import CardNumbers, check_cards, parse_card
from server.services.imports.files import LIMITS, Limits, Source, load
from server.services.imports.headers import (
    LANGUAGE_CHOICES,
    ROLE_CHOICES,
    WORKER_COLUMNS,
    Table,
    language,
    read_table,
    role,
)
from server.services.imports.messages import N_, Message
from server.services.imports.report import ImportPreview, ImportReport
from server.services.imports.rows import bad, dry_run, field_error, new_codes
from server.services.people.badges import KnownCard, assign_cards
from server.services.production.records import FieldError, RowError, by_code, parse_code, parse_text

MAX_NAME = 100


@dataclass(frozen=True)
class _WorkerRow:
    line: int
    code: str
    name: str
    workshop: str
    role: Role
    language: Language
    card: str | None  # the card's bytes in hex, when the row names one


def _role(value: object) -> Role:
    found = role(value)
    if found is None:
        raise FieldError(Message(N_("%(value)r is not one of %(choices)s"), value=value,
                                 choices=ROLE_CHOICES))
    return found


def _language(value: object) -> Language:
    found = language(value)  # a code, or a name: 中文, 英语, 粤语/粵語, Cantonese …
    if not isinstance(found, Language):
        raise FieldError(Message(N_("%(value)r is not one of %(choices)s"), value=value,
                                 choices=LANGUAGE_CHOICES))
    return found


def _parse(line: int, raw: Mapping[str, object], labels: Mapping[str, str],
           cards: CardNumbers) -> _WorkerRow | list[RowError]:
    parsers = {
        "code": parse_code,
        "name": lambda v: parse_text(v, MAX_NAME),
        "workshop": parse_code,
        "role": _role,
        "language": _language,
        "card": lambda v: None if v is None else parse_card(v, cards),
    }
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for column, parse in parsers.items():
        try:
            values[column] = parse(raw[column])
        except FieldError as exc:
            errors.append(field_error(line, column, labels, exc))
    return errors or _WorkerRow(line=line, **values)


def _validate(table: Table, cards: CardNumbers) -> tuple[list[_WorkerRow], list[RowError]]:
    good: list[_WorkerRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    seen_cards: dict[str, int] = {}
    for line, raw in table:
        row = _parse(line, raw, table.labels, cards)
        if isinstance(row, list):
            errors.extend(row)
        elif row.code in seen:
            errors.append(bad(line, "code", table.labels, Message(
                N_("worker %(code)r is already on line %(line)s"), code=row.code,
                line=seen[row.code])))
        elif row.card is not None and row.card in seen_cards:
            errors.append(bad(line, "card", table.labels, Message(
                N_("the same card as line %(line)s"), line=seen_cards[row.card])))
        else:
            seen[row.code] = line
            if row.card is not None:
                seen_cards[row.card] = line
            good.append(row)
    return good, errors


@dataclass
class _Checked:
    table: Table
    rows: list[_WorkerRow]
    errors: list[RowError]
    new_workshops: list[str]
    cards: dict[str, KnownCard]


def _check(session: Session, data: Source, filename: str | None, *,
           create: Collection[str] | None, strict: bool, keys: ServerKeys | None,
           cards: CardNumbers, limits: Limits) -> tuple[str, _Checked]:
    raw, name = load(data, filename, limits)
    table = read_table(raw, name, WORKER_COLUMNS, limits)
    good, errors = _validate(table, cards)
    known_workshops = {w.code for w in session.scalars(select(Workshop))}
    new_workshops = sorted({row.workshop for row in good} - known_workshops)
    good, refused = new_codes(
        good, lambda row: (row.line, row.workshop), "workshop", new_workshops, create, strict,
        table.labels, N_("there is no workshop %(code)s, and creating it was not confirmed"))
    errors += refused
    good, refused, known_cards = check_cards(session, keys, good, lambda row: row.code,
                                             table.labels)
    errors += refused
    errors.sort(key=lambda error: error.row)
    return name, _Checked(table, good, errors, new_workshops, known_cards)


def _state(worker: Worker, workshop_code: str) -> dict[str, str]:
    return {"name": worker.name, "workshop": workshop_code, "role": worker.role.value,
            "language": worker.language.value}


def _audited(state: Mapping[str, str]) -> dict[str, str]:
    """A worker's state as the audit log keeps it: no name (services/audit.py)."""
    return {key: value for key, value in state.items() if key != "name"}


def _store(session: Session, checked: _Checked, report: ImportReport, actor: str) -> None:
    rows = checked.rows
    # A factory has a few dozen workshops: all of them, to name every worker's current one.
    workshops = {w.code: w for w in session.scalars(select(Workshop))}
    workshop_codes = {w.id: w.code for w in workshops.values()}
    for code in sorted({row.workshop for row in rows} - workshops.keys()):
        workshops[code] = Workshop(code=code, name=code)
        session.add(workshops[code])
        report.created_workshops.append(code)
    existing = by_code(session, Worker, (row.code for row in rows))
    created: list[Worker] = []
    updated: list[int] = []
    for row in rows:
        after = {"name": row.name, "workshop": row.workshop, "role": row.role.value,
                 "language": row.language.value}
        worker = existing.get(row.code)
        if worker is None:
            worker = Worker(code=row.code, name=row.name, workshop=workshops[row.workshop],
                            role=row.role, language=row.language)
            session.add(worker)
            existing[row.code] = worker
            created.append(worker)
            continue
        before = _state(worker, workshop_codes[worker.workshop_id])
        if before == after:
            report.unchanged += 1
            continue
        worker.name, worker.role, worker.language = row.name, row.role, row.language
        worker.workshop = workshops[row.workshop]
        audit(session, actor, "worker.update", "worker", worker.id, before=_audited(before),
              after={**_audited(after), "name_changed": before["name"] != after["name"]})
        updated.append(worker.id)
    report.created, report.updated = len(created), len(updated)
    session.flush()  # the new workers' ids, which badges and the log name them by
    with_cards = [(existing[row.code], checked.cards[row.card]) for row in rows
                  if row.card is not None]
    if with_cards:
        done = assign_cards(session, with_cards, actor)
        report.cards_assigned, report.cards_replaced = done.assigned, done.replaced
    if created or updated or report.created_workshops or report.cards_assigned:
        audit(session, actor, "workers.import", "worker", after={
            "file": report.filename, "created": [worker.id for worker in created],
            "updated": updated, "unchanged": report.unchanged,
            "created_workshops": report.created_workshops,
            "cards_assigned": report.cards_assigned, "cards_replaced": report.cards_replaced,
            "rejected_lines": sorted({e.row for e in report.errors}),
        })
    session.flush()


def import_workers(
    session: Session,
    data: Source,
    filename: str | None = None,
    *,
    skip_bad: bool = False,
    actor: str,
    create: Collection[str] | None = None,
    strict: bool = False,
    keys: ServerKeys | None = None,
    card_format: str = "10D",
    card_reversed: bool = False,
    limits: Limits = LIMITS,
) -> ImportReport:
    """Create or update workers from a file (see the module's docstring). A file with a
    bad row imports nothing unless `skip_bad`; nothing is added to the session before
    every row has been checked. `keys` (the site's, for card digests) is needed when the
    card column holds numbers. The caller commits."""
    cards = CardNumbers(card_format, card_reversed)
    name, checked = _check(session, data, filename, create=create, strict=strict, keys=keys,
                           cards=cards, limits=limits)
    report = ImportReport("workers", name, rows=len(checked.table), errors=checked.errors)
    if report.errors and not skip_bad:
        return report
    if checked.rows:
        _store(session, checked, report, actor)
    report.imported = True
    return report


def preview_workers(
    session: Session,
    data: Source,
    filename: str | None = None,
    *,
    keys: ServerKeys | None,
    card_format: str = "10D",
    card_reversed: bool = False,
    skip_bad: bool = False,
    limits: Limits = LIMITS,
) -> ImportPreview:
    """What `import_workers` would do with every new workshop allowed, nothing stored
    (run in a savepoint that is rolled back), and the workshops it would create."""
    cards = CardNumbers(card_format, card_reversed)
    name, checked = _check(session, data, filename, create=None, strict=False, keys=keys,
                           cards=cards, limits=limits)
    report = ImportReport("workers", name, rows=len(checked.table), errors=checked.errors)
    if not report.errors or skip_bad:
        with dry_run(session):
            if checked.rows:
                _store(session, checked, report, "preview")
        report.imported = True
    return ImportPreview(report, new_workshops=checked.new_workshops)

