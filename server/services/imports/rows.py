"""What the workers, production and card imports share about rows: naming a bad one,
refusing codes nobody confirmed creating, and the dry run a preview is."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session

from server.services.imports.messages import N_, Message
from server.services.production.records import FieldError, RowError

RowT = TypeVar("RowT")


def bad(line: int, column: str, labels: Mapping[str, str], problem: str) -> RowError:
    """A bad row: `column: problem`, the column named as the file's header writes it."""
    return RowError(line, Message(N_("%(column)s: %(problem)s"), column=labels.get(column,
                                                                                 column),
                                  problem=problem), column)


def field_error(line: int, column: str, labels: Mapping[str, str],
                error: FieldError) -> RowError:
    """A field that did not parse; its message id is kept when it has one."""
    problem = error.args[0] if error.args and isinstance(error.args[0], Message) \
        else str(error)
    return bad(line, column, labels, problem)


def new_codes(rows: Sequence[RowT], where: Callable[[RowT], tuple[int, str]], column: str,
              new: Collection[str], create: Collection[str] | None, strict: bool,
              labels: Mapping[str, str], refusal: str) -> tuple[list[RowT], list[RowError]]:
    """The rows allowed to create what they name in `column` (a workshop, a machine), and
    a bad row for each other one that names something `new`; `where` gives a row's line
    and code. `create` lists the codes HR confirmed; without it everything may be
    created, or nothing when `strict`."""
    if create is None and not strict:
        return list(rows), []
    allowed = set(create or ())
    good: list[RowT] = []
    errors: list[RowError] = []
    for row in rows:
        line, code = where(row)
        if code in new and code not in allowed:
            errors.append(bad(line, column, labels, Message(refusal, code=code)))
        else:
            good.append(row)
    return good, errors


@contextmanager
def dry_run(session: Session) -> Iterator[None]:
    """Run an import in a savepoint and take everything back: what a preview shows."""
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()
