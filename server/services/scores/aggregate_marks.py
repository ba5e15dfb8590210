"""Marking the (worker, day) keys whose day sums a transaction must sum again
(scores/aggregates.py settles them before it commits).

Rows written through the ORM (production records, point entries, adjustments, metric
values, badge-in events) are marked by a flush hook, old and new key both when a row
moves; bulk ORM statements (`session.execute(delete(Model).where(...))`, `update`,
`insert(Model)` with rows) by an execute hook that reads the rows they touch first;
rows written with Core statements on the tables by their writer (`mark_days`,
`mark_events`). Badge-in events a batch inserts (`mark_added_badge_ins`) are counted
rather than summed again: a day's count goes up by as many (the day that had none is
rolled up and stamped), which is most of what a shift change writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from server.models import Adjustment, Event, MetricValue, PointEntry, ProductionRecord

BADGE_IN = "badge_in"
DAYS = "aggregates.days"
EVENTS = "aggregates.events"
ADDED = "aggregates.added_badge_ins"

Key = tuple[int, date]


def mark_days(session: Session, keys: Iterable[Key]) -> None:
    """Sum these (worker id, factory day) again before the transaction commits."""
    session.info.setdefault(DAYS, set()).update(keys)


def mark_added_badge_ins(session: Session, rows: Iterable[tuple[int | None, datetime]]
                         ) -> None:
    """Badge-in events this transaction inserted (never updated or deleted), by (worker
    id, occurred_at): their days' counts are raised by as many instead of summed again."""
    session.info.setdefault(ADDED, []).extend(
        (worker, at) for worker, at in rows if worker is not None)


def mark_events(session: Session, rows: Iterable[tuple[int | None, datetime]]) -> None:
    """The days of events written without the ORM, by (worker id, occurred_at): dated in
    the stored zone when the sums are settled."""
    session.info.setdefault(EVENTS, []).extend(
        (worker, at) for worker, at in rows if worker is not None)


def _values(target: Any, name: str) -> list[Any]:
    """Every value the attribute had in this flush: the new, the unchanged and the old."""
    state = inspect(target)
    history = state.attrs[name].history
    values = [*history.added, *history.unchanged, *history.deleted]
    if not values and not state.deleted and not state.was_deleted:
        values = [getattr(target, name)]  # expired and unchanged: read it back
    return values


def _keys_of(target: Any, worker: str, day: str) -> Iterator[Key]:
    """The (worker, day) keys a flushed row touched: its own and, when it moved, the old."""
    days = _values(target, day)
    for holder in _values(target, worker):
        for when in days:
            if holder is not None and when is not None:
                yield holder, when


_DATED = {ProductionRecord: ("worker_id", "date"), PointEntry: ("worker_id", "date"),
          Adjustment: ("worker_id", "booked_on"), MetricValue: ("worker_id", "date")}


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Mark the days of the rows this flush wrote, moved or deleted."""
    days: set[Key] = set()
    events: list[tuple[int | None, datetime]] = []
    for target in (*session.new, *session.dirty, *session.deleted):
        kind = type(target)
        if kind in _DATED:
            worker, day = _DATED[kind]
            days.update(_keys_of(target, worker, day))
        elif kind is Event and target.kind == BADGE_IN:
            events.extend((holder, at) for holder in _values(target, "worker_id")
                          for at in _values(target, "occurred_at") if holder is not None)
    if days:
        mark_days(session, days)
    if events:
        mark_events(session, events)


def _dated_columns(model: Any) -> tuple[Any, Any] | None:
    if model in _DATED:
        worker, day = _DATED[model]
        return getattr(model, worker), getattr(model, day)
    if model is Event:
        return Event.worker_id, Event.occurred_at
    return None


def _orm_statement(state: ORMExecuteState) -> Any:
    """Mark the days of bulk ORM statements (`session.execute(delete(Model).where(...))`,
    `update`, `insert(Model)` with rows), which no flush sees: the rows they will touch
    are read first, and an update's rows again after it ran."""
    if not (state.is_delete or state.is_update or state.is_insert):
        return None
    mapper = state.bind_mapper
    columns = _dated_columns(mapper.class_) if mapper is not None else None
    if mapper is None or columns is None:
        return None
    model = mapper.class_
    session = state.session
    worker, day = columns
    is_event = model is Event
    if state.is_insert:
        given: Any = state.parameters
        rows: list[Any] = given if isinstance(given, list) else [given] if given else []
        for row in rows:
            found = (row.get(worker.key), row.get(day.key))
            if is_event and row.get("kind") != BADGE_IN:
                continue
            if found[0] is not None and found[1] is not None:
                _mark(session, is_event, [found])
        return None
    where = getattr(state.statement, "whereclause", None)
    key = mapper.primary_key[0]
    query = select(key, worker, day)
    if is_event:
        query = query.where(Event.kind == BADGE_IN)
    if where is not None:
        query = query.where(where)
    touched = session.execute(query, execution_options={"_aggregates": True}).all()
    _mark(session, is_event, [(w, d) for _, w, d in touched if w is not None])
    result = state.invoke_statement()
    if state.is_update and touched:
        moved = session.execute(select(worker, day).where(key.in_([t[0] for t in touched])),
                                execution_options={"_aggregates": True}).all()
        _mark(session, is_event, [(w, d) for w, d in moved if w is not None])
    return result


def _mark(session: Session, is_event: bool, keys: list[tuple[Any, Any]]) -> None:
    if is_event:
        mark_events(session, keys)
    else:
        mark_days(session, keys)


def _do_orm_execute(state: ORMExecuteState) -> Any:
    if state.execution_options.get("_aggregates"):
        return None
    return _orm_statement(state)


def take_marks(session: Session) -> tuple[set[Key], list[tuple[int, datetime]],
                                          list[tuple[int, datetime]]]:
    """The marked days, the marked events' (worker, time) and the added badge-ins'
    (worker, time), taken off the session."""
    return (session.info.pop(DAYS, set()), session.info.pop(EVENTS, []),
            session.info.pop(ADDED, []))


def has_marks(session: Session) -> bool:
    return bool(session.info.get(DAYS) or session.info.get(EVENTS) or session.info.get(ADDED))


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _do_orm_execute)
