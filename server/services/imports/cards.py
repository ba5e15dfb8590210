"""Card numbers from a file: the workers import's card column and `badge import`
(`worker_code,card`, 工号,卡号).

A number is read in the site's card format (`Config.card_format`, reversed byte order as
`Config.card_reversed`; shopfloor_trust/cards.py) with its leading zeros optional, since
Excel drops them, and a number cell (an int, or a float such as 13748911.0) is read back as
its digits. The badge is the keyed digest of the card's bytes, as every kiosk computes it
for the number its reader types (people/badges.py). A card on two lines, or one another
worker holds, is a bad row; a worker's other cards are revoked when the file gives it one
(`assign_cards`). A file with a bad row imports nothing unless `skip_bad`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from server.models import Worker
from server.services.devices.keys import ServerKeys
from server.services.imports.files import LIMITS, Limits, Source, load
from server.services.imports.headers import CARD_COLUMNS, Table, read_table
from server.services.imports.messages import N_, Message
from server.services.imports.report import ImportReport
from server.services.imports.rows import bad, field_error
from server.services.people.badges import KnownCard, assign_cards, look_up_cards
from server.services.production.records import FieldError, RowError, by_code, parse_code
from shopfloor_trust.cards import card_format as canonical_format
from shopfloor_trust.cards import card_hex, printed_number

SAMPLE = "00D1CB2F"  # a card's bytes, to show HR how the site's format prints a number


@dataclass(frozen=True)
class CardNumbers:
    """How this site's card numbers are read (`Config.card_format`, `card_reversed`)."""

    format: str = "10D"
    reversed: bool = False


def parse_card(value: object, cards: CardNumbers) -> str:
    """The card's bytes (hex) from a cell; FieldError naming the format when it is none."""
    text: str | None = None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = str(value)
    elif isinstance(value, float) and value.is_integer() and value >= 0:
        text = str(int(value))  # Excel keeps 0013748911 as the number 13748911.0
    elif isinstance(value, str):
        text = value.strip()
    try:
        if text is None:
            raise ValueError("not text")
        return card_hex(text, cards.format, reverse=cards.reversed)
    except ValueError:
        fmt = canonical_format(cards.format)
        raise FieldError(Message(
            N_("%(value)s is not a card number in this site's format %(format)s (such as "
               "%(example)s)"), value=value, format=fmt,
            example=printed_number(SAMPLE, fmt))) from None


class _CardRowLike(Protocol):
    @property
    def line(self) -> int: ...

    @property
    def card(self) -> str | None: ...


RowT = TypeVar("RowT", bound=_CardRowLike)


def check_cards(session: Session, keys: ServerKeys | None, rows: Sequence[RowT],
                worker: Callable[[RowT], str], labels: Mapping[str, str]
                ) -> tuple[list[RowT], list[RowError], dict[str, KnownCard]]:
    """The rows whose card (`row.card`, hex or None) is free or already the row's
    worker's (`worker` gives its code), a bad row for each other one, and what the site
    knows of every card named. Reads only; each card costs a digest (~25 ms)."""
    numbers = [row.card for row in rows if row.card is not None]
    if not numbers:
        return list(rows), [], {}
    if keys is None:
        raise ValueError("card numbers need the site keys (load_keys) for their digests")
    known = look_up_cards(session, keys, numbers)
    good: list[RowT] = []
    errors: list[RowError] = []
    for row in rows:
        card = row.card
        holder = known[card].holder if card is not None else None
        if holder is not None and holder.code != worker(row):
            errors.append(bad(row.line, "card", labels, Message(
                N_("this card already belongs to worker %(code)s"), code=holder.code)))
        else:
            good.append(row)
    return good, errors, known


@dataclass(frozen=True)
class _CardRow:
    line: int
    worker_code: str
    card: str


def _parse(table: Table, cards: CardNumbers) -> tuple[list[_CardRow], list[RowError]]:
    rows: list[_CardRow] = []
    errors: list[RowError] = []
    for line, raw in table:
        values: dict[str, str] = {}
        for column, parse in (("worker_code", parse_code),
                              ("card", lambda v: parse_card(v, cards))):
            try:
                if raw[column] is None:
                    raise FieldError(Message(N_("is empty")))
                values[column] = parse(raw[column])
            except FieldError as exc:
                errors.append(field_error(line, column, table.labels, exc))
        if len(values) == 2:
            rows.append(_CardRow(line, values["worker_code"], values["card"]))
    return rows, errors


def _validate(session: Session, table: Table, cards: CardNumbers
              ) -> tuple[list[_CardRow], list[RowError]]:
    rows, errors = _parse(table, cards)
    workers = by_code(session, Worker, (row.worker_code for row in rows))
    good: list[_CardRow] = []
    seen: dict[str, int] = {}
    seen_cards: dict[str, int] = {}
    for row in rows:
        if row.worker_code not in workers:
            errors.append(bad(row.line, "worker_code", table.labels, Message(
                N_("no worker %(code)r"), code=row.worker_code)))
        elif row.worker_code in seen:
            errors.append(bad(row.line, "worker_code", table.labels, Message(
                N_("worker %(code)r is already on line %(line)s"), code=row.worker_code,
                line=seen[row.worker_code])))
        elif row.card in seen_cards:
            errors.append(bad(row.line, "card", table.labels, Message(
                N_("the same card as line %(line)s"), line=seen_cards[row.card])))
        else:
            seen[row.worker_code], seen_cards[row.card] = row.line, row.line
            good.append(row)
    return good, errors


def import_cards(
    session: Session,
    data: Source,
    filename: str | None = None,
    *,
    keys: ServerKeys,
    card_format: str = "10D",
    card_reversed: bool = False,
    skip_bad: bool = False,
    actor: str,
    limits: Limits = LIMITS,
) -> ImportReport:
    """Give workers their cards from `worker_code,card` rows (see the module's docstring):
    `created` counts the cards given out, `unchanged` those the worker held already,
    `cards_replaced` the other cards revoked. The caller commits."""
    raw, name = load(data, filename, limits)
    table = read_table(raw, name, CARD_COLUMNS, limits)
    report = ImportReport("card", name, rows=len(table))
    good, errors = _validate(session, table, CardNumbers(card_format, card_reversed))
    good, refused, known = check_cards(session, keys, good, lambda row: row.worker_code,
                                       table.labels)
    report.errors = sorted(errors + refused, key=lambda error: error.row)
    if report.errors and not skip_bad:
        return report
    if good:
        workers = by_code(session, Worker, (row.worker_code for row in good))
        done = assign_cards(session, [(workers[row.worker_code], known[row.card])
                                      for row in good], actor)
        report.created, report.unchanged = done.assigned, done.unchanged
        report.cards_assigned, report.cards_replaced = done.assigned, done.replaced
    report.imported = True
    return report
