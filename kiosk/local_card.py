"""A cached scorecard with the worker's own events that have not reached the server yet.

A card from the cache (offline, or before the next sync) does not know what the worker
has just logged at this kiosk. ``apply_queued(card, events)`` returns the card with the
worker's queued events (those the outbox still holds for the pinned server: pending or in
flight) applied where the rule is local, marked ``unconfirmed=True``, with
``local_changes`` naming what it changed. ``queued_events(store, worker)`` reads those
events; the scorecard scene loads every cached card through both.

**What the kiosk may change.** It keeps no copy of the scoring rules (the tolerance of a
target, threshold or weighted points, caps, pro-rating, tiers, ranks: server/scoring). It
changes only numbers the card itself states whose meaning is a plain sum of counts:

- ``output``: the count of each queued ``output`` event is added to the output line's
  ``value`` (the server's value is the period's output, the sum of the counts).
- ``defect_rate``: the rate is the period's defects over its output, both sums. The card
  states the rate and, when the scheme has an output line, the output, so the defects so
  far are rate x output and the new rate is (defects + queued defects) / (output + queued
  output); a queued ``output`` changes the rate too. Without an output line the defects
  cannot be known: the line is left as it is and marked waiting.
- ``claims_pending``: a queued ``point_claim`` becomes a pending claim line in the card's
  tasks (with the category's points from the roster), as the server lists its own: every
  pending claim, whatever the card's period. It adds nothing to the total: a pending claim
  counts nothing on the server either. A claim the card already lists (the same event
  uuid) is not added again.

**What it never changes:** ``met``, ``points``, ``total``, today's points, the projection,
the tier, the rank, and the day-by-day values with their judgement. The card sends each
day's ``met`` (``daily_met``) but no per-day target, and the period's ``met`` is judged with
a tolerance against a target the server pro-rates by its own calendar; the points then
follow the scheme's mode (threshold or weighted, capped). Deciding any of these here would
be a second copy of the rules that could disagree with the server, so a line whose value
changed keeps the server's met and points until the server's card replaces it; the whole
card says "not yet confirmed" meanwhile.

**Rules that are not local** leave their line's numbers as they are and mark it waiting
(``"waiting:<key>"``), when the card has that line: ``machine_start``/``machine_stop``
(uptime and attendance: runs are paired and capped by the server's shift calendar),
``training_progress`` (training: a video counts from 90 % watched, as the server decides),
a supervisor's ``remark``, ``remark_undo`` or ``claim_decision`` about the worker (points:
capped, and a remark's points are the category's on the server). A ``badge_in`` changes
nothing here: every visit makes one, and whether a day counts for attendance is the
server's (a scheduled day).

``local_changes`` keys: a dimension's key (``"output"``, ``"defect_rate"``) when its value
was changed here; ``"claims_pending"`` when pending claim lines were added;
``"waiting:<key>"`` (``"waiting:uptime"``, ``"waiting:points"``...) for a line whose number
waits for the server. A card with none is returned unchanged (not unconfirmed).

**Which card an event belongs to.** The server counts an event on its shift's date (a
shift starting in the evening runs past midnight and keeps the date it started). The
kiosk does not guess which shift a count falls in: an event counts for a card when both the
calendar day it occurred (in the kiosk's zone) and that day six hours earlier (the latest
a night shift ends) lie in the card's ``period_start``..``period_end``; when only one does,
the line is marked waiting instead of changed; when neither, the event is another
period's.

**No double count.** Once the server accepts an event it leaves the outbox, and the sync
worker asks for the worker's cards again at once (kiosk/background/sync.py): the server's
card, which counts it, replaces this one. One window remains: an event the server took
whose answer was lost goes back to pending and is sent again in the next round; a card
fetched in between already counts it and this adds it again, for that round only (claims
excepted: they are matched by uuid). And MES wins on the server (a shift with an MES
record ignores the kiosk's counts), which the kiosk cannot know: another reason the card
only says "not yet confirmed".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Protocol

from kiosk.model import Category, Scorecard

logger = logging.getLogger(__name__)

# The kinds of event a card may show before the server has them, and the lines the
# others wait on (see the module's docstring).
COUNT_KINDS = ("output", "defect")
CLAIM_KIND = "point_claim"
WAITING_LINES: Mapping[str, tuple[str, ...]] = {
    "machine_start": ("uptime", "attendance"),
    "machine_stop": ("uptime", "attendance"),
    "training_progress": ("training",),
    "remark": ("points",),
    "remark_undo": ("points",),
    "claim_decision": ("points",),
}
CARD_KINDS: tuple[str, ...] = (*COUNT_KINDS, CLAIM_KIND, *WAITING_LINES)
# The latest a night shift ends after midnight: a count made before then may be on the
# day before (the server's shift calendar decides; docs/scoring.md).
NIGHT_SHIFT_END = timedelta(hours=6)
WAITING = "waiting:"


class QueuedEvent(Protocol):
    """What is read of an outbox item (kiosk.store_outbox.OutboxItem)."""

    @property
    def uuid(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def worker(self) -> str | None: ...
    @property
    def occurred_at(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


class _Outbox(Protocol):
    def queued(self, kind: str, worker: str | None = None) -> Sequence[QueuedEvent]: ...


def queued_events(store: _Outbox, worker: str) -> list[QueuedEvent]:
    """The worker's events in the outbox (pending or in flight) that a card may show."""
    found: list[QueuedEvent] = []
    for kind in CARD_KINDS:
        found.extend(store.queued(kind, worker))
    return found


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def _count(payload: Mapping[str, Any]) -> int | None:
    count = payload.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        return None
    return count


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class _Placement:
    """Whether an event falls in a card's period: "in", "out" or "unsure"."""

    def __init__(self, body: Mapping[str, Any], zone: tzinfo | None) -> None:
        self.start = _date(body.get("period_start"))
        self.end = _date(body.get("period_end"))
        self.zone = zone

    def _inside(self, day: date) -> bool:
        assert self.start is not None and self.end is not None
        return self.start <= day <= self.end

    def of(self, event: QueuedEvent) -> str:
        if self.start is None or self.end is None:
            return "unsure"
        try:
            moment = datetime.fromisoformat(event.occurred_at)
        except (TypeError, ValueError):
            return "unsure"
        if moment.tzinfo is None:
            moment = moment.astimezone()  # a naive time is the kiosk's own
        local = moment.astimezone(self.zone)
        inside = (self._inside(local.date()), self._inside((local - NIGHT_SHIFT_END).date()))
        if all(inside):
            return "in"
        return "unsure" if any(inside) else "out"


def apply_queued(card: Mapping[str, Any], events: Iterable[QueuedEvent], *,
                 categories: Iterable[Category] = (), zone: tzinfo | None = None
                 ) -> Scorecard:
    """The cached card (its JSON body, as the store keeps it) with the worker's queued
    ``events`` applied where the rule is local; see the module's docstring for what changes
    and what waits. ``categories``: the roster's point categories (a pending claim's points);
    ``zone``: the site's time zone (default: the kiosk's own). Events of another worker
    are ignored. The body itself is not changed."""
    body = _applied(card, list(events), {c.code: c for c in categories}, zone)
    return Scorecard.from_json(body)


def _applied(card: Mapping[str, Any], events: list[QueuedEvent],
             categories: Mapping[str, Category], zone: tzinfo | None) -> dict[str, Any]:
    body = dict(card)
    owner = body.get("worker")
    code = owner.get("code") if isinstance(owner, Mapping) else None
    placement = _Placement(body, zone)
    dims = {str(d.get("key")): d for d in body.get("dimensions") or []
            if isinstance(d, Mapping)}
    changes: list[str] = []
    waiting: list[str] = []

    def wait(line: str) -> None:
        if line not in waiting:
            waiting.append(line)

    output = defects = 0
    claims: list[dict[str, Any]] = []
    for event in events:
        if code is not None and event.worker != code:
            continue
        if event.kind == CLAIM_KIND:  # the card lists every pending claim, of any period
            claims.append(_claim_line(event, categories))
            continue
        where = placement.of(event)
        if where == "out":
            continue
        if event.kind in COUNT_KINDS:
            count = _count(event.payload)
            if count is None:
                continue
            line = "output" if event.kind == "output" else "defect_rate"
            if where == "unsure":
                for key in dict.fromkeys((line, "defect_rate")):
                    if key in dims:
                        wait(key)
            elif event.kind == "output":
                output += count
            else:
                defects += count
        else:
            for line in WAITING_LINES.get(event.kind, ()):
                if line in dims or line == "points":
                    wait(line)

    new_dims = {key: dict(raw) for key, raw in dims.items()}
    if output:
        changes += _add_output(new_dims, output)
    if defects or output:
        changes += _add_defects(new_dims, output, defects, wait)
    if claims:
        added = _add_claims(body, claims)
        if added:
            changes.append("claims_pending")
    if not changes and not waiting:
        return body
    if new_dims:
        body["dimensions"] = [new_dims.get(str(d.get("key")), d)
                              for d in body.get("dimensions") or [] if isinstance(d, Mapping)]
    local = [*changes, *(f"{WAITING}{line}" for line in waiting if line not in changes)]
    body["unconfirmed"] = True
    body["local_changes"] = local
    return body


def _add_output(dims: dict[str, dict[str, Any]], output: int) -> list[str]:
    line = dims.get("output")
    if line is None:
        return []
    value = _number(line.get("value"))
    line["value"] = (value or 0.0) + output
    line["no_data"] = False
    return ["output"]


def _add_defects(dims: dict[str, dict[str, Any]], output: int, defects: int,
                 wait: Callable[[str], None]) -> list[str]:
    """The defect rate from the card's own rate and output, or waiting without them.
    ``dims["output"]`` already has the queued output added."""
    line = dims.get("defect_rate")
    if line is None:
        return []
    out_line = dims.get("output")
    total_output = _number(out_line.get("value")) if out_line is not None else None
    if total_output is None:
        wait("defect_rate")
        return []
    before_output = total_output - output
    rate = _number(line.get("value"))
    if rate is None and before_output > 0:
        wait("defect_rate")  # output but no rate: the card says nothing of its defects
        return []
    known_defects = round((rate or 0.0) * before_output)
    if total_output <= 0:
        wait("defect_rate")
        return []
    line["value"] = (known_defects + defects) / total_output
    line["no_data"] = False
    return ["defect_rate"]


def _claim_line(event: QueuedEvent, categories: Mapping[str, Category]) -> dict[str, Any]:
    code = str(event.payload.get("category") or "")
    category = categories.get(code)
    try:
        day = datetime.fromisoformat(event.occurred_at).date().isoformat()
    except (TypeError, ValueError):
        day = ""
    return {"id": None, "claim": event.uuid, "category": code,
            "points": category.points if category is not None else None,
            "title": category.name if category is not None else code,
            "title_en": category.name_en if category is not None else "",
            "date": day, "local": True}


def _add_claims(body: dict[str, Any], claims: list[dict[str, Any]]) -> bool:
    """Pending claim lines the card does not list yet (by the claim's event uuid)."""
    tasks = body.get("tasks")
    tasks = dict(tasks) if isinstance(tasks, Mapping) else {}
    listed = [c for c in tasks.get("claims_pending") or [] if isinstance(c, Mapping)]
    known = {c.get("claim") for c in listed}
    new = [c for c in claims if c["claim"] not in known]
    if not new:
        return False
    tasks["claims_pending"] = [*listed, *new]
    body["tasks"] = tasks
    return True


def with_queued(store: _Outbox, worker: str, body: Mapping[str, Any],
                categories: Iterable[Category] = ()) -> Scorecard:
    """The cached card ``body`` of ``worker`` with their queued events applied: what the
    scorecard scene shows (``apply_queued`` over ``queued_events``)."""
    return apply_queued(body, queued_events(store, worker), categories=categories)
