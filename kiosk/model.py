"""Plain views of the server's JSON (roster, scorecard, alerts), tolerant of missing optional
fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shopfloor_trust.cards import card_format


def _float(value: Any, default: float | None = 0.0) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _pin_check(value: Any) -> int | None:
    return value if _int(value, -1) in range(64) else None


@dataclass(frozen=True)
class Worker:
    code: str
    name: str
    language: str = "zh_CN"
    role: str = "worker"
    workshop: str = ""
    photo_url: str | None = None
    # A supervisor's PIN as the kiosk may know it (shopfloor_trust/pins.py): a 6-bit typo
    # check (None: unknown, any PIN goes to the server), whether the server locked their
    # acts after too many wrong PINs, and the PIN's epoch (a new PIN or an unlock starts
    # the next; the kiosk's own count of wrong PINs is per epoch).
    pin_check: int | None = None
    pin_locked: bool = False
    pin_epoch: int = 0

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    level: str
    points: float
    needs_approval: bool
    pictogram: str = "medal"  # the picture HR picked (kiosk/ui/icons.py)

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True)
class Reason:
    """A fault or quality reason HR keeps (the roster's ``reasons``): a worker picks one by
    its picture when reporting a machine_fault (payload ``fault``) or a quality_issue
    (payload ``issue``)."""

    code: str
    name: str
    name_en: str = ""
    kind: str = "machine_fault"
    pictogram: str = "other"

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True)
class Machine:
    code: str
    name: str


@dataclass(frozen=True)
class CardFormat:
    """How this site's keyboard-wedge readers type a card (the roster's ``card_format``,
    the server's SHOPFLOOR_CARD_FORMAT and SHOPFLOOR_CARD_REVERSED; shopfloor_trust/cards.py).
    A roster without it (an older server) means the server's default, 10D not reversed."""

    format: str = "10D"
    reversed: bool = False

    @classmethod
    def from_json(cls, raw: Any) -> CardFormat:
        if not isinstance(raw, dict):
            return cls()
        try:
            name = card_format(str(raw.get("format") or cls.format))
        except ValueError:  # a format this kiosk does not know: read no typed card numbers
            return cls(format="", reversed=False)
        return cls(format=name, reversed=raw.get("reversed") is True)


@dataclass
class Roster:
    workers: dict[str, Worker] = field(default_factory=dict)
    by_credential: dict[str, str] = field(default_factory=dict)
    machines: list[Machine] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    workshops: dict[str, str] = field(default_factory=dict)
    card_format: CardFormat = field(default_factory=CardFormat)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Roster:
        roster = cls()
        for raw in (data or {}).get("workers", []):
            if not raw.get("code"):
                continue
            worker = Worker(
                code=str(raw["code"]),
                name=str(raw.get("name") or raw["code"]),
                language=str(raw.get("language") or "zh_CN"),
                role=str(raw.get("role") or "worker"),
                workshop=str(raw.get("workshop") or ""),
                photo_url=raw.get("photo_url") or None,
                pin_check=_pin_check(raw.get("pin_check")),
                pin_locked=raw.get("pin_locked") is True,
                pin_epoch=_int(raw.get("pin_epoch")),
            )
            roster.workers[worker.code] = worker
            for badge in raw.get("badges") or []:
                if badge.get("hash"):
                    roster.by_credential[str(badge["hash"]).lower()] = worker.code
        roster.machines = [
            Machine(str(m["code"]), str(m.get("name") or m["code"]))
            for m in (data or {}).get("machines", [])
            if m.get("code")
        ]
        roster.workshops = {
            str(w["code"]): str(w.get("name") or w["code"])
            for w in (data or {}).get("workshops", [])
            if isinstance(w, dict) and w.get("code")
        }
        roster.categories = [
            Category(
                code=str(c["code"]),
                name=str(c.get("name") or c["code"]),
                name_en=str(c.get("name_en") or ""),
                level=str(c.get("level") or ""),
                points=_float(c.get("points")) or 0.0,
                needs_approval=bool(c.get("needs_approval", False)),
                pictogram=str(c.get("pictogram") or "medal"),
            )
            for c in (data or {}).get("categories", [])
            if c.get("code")
        ]
        roster.reasons = [
            Reason(code=str(r["code"]), name=str(r.get("name") or r["code"]),
                   name_en=str(r.get("name_en") or ""), kind=str(r.get("kind") or ""),
                   pictogram=str(r.get("pictogram") or "other"))
            for r in (data or {}).get("reasons") or []
            if isinstance(r, dict) and r.get("code")
        ]
        roster.card_format = CardFormat.from_json((data or {}).get("card_format"))
        return roster

    def worker_for(self, credential: str) -> Worker | None:
        code = self.by_credential.get(credential.lower())
        return self.workers.get(code) if code else None

    def workshop_workers(self, workshop: str) -> list[Worker]:
        return sorted(
            (w for w in self.workers.values() if w.workshop == workshop and not w.is_supervisor),
            key=lambda w: w.code,
        )


@dataclass(frozen=True)
class DailyValue:
    date: str
    value: float | None
    met: bool = False  # as the server judged the day (see `Dimension.from_json`)


BETTER = ("higher", "lower")
UNITS = ("percent", "count", "points")  # percent: a share from 0 to 1


@dataclass(frozen=True)
class Dimension:
    """One line of a scorecard. Which way is better, the unit and each day's `met` are
    the server's (the kiosk keeps no list of dimensions of its own). `pro_rated`: a sum
    judged while its period runs, against the target for the days so far (`target`); the
    whole period's is `target_full`."""

    key: str
    value: float | None
    target: float | None
    met: bool
    points: float
    max_points: float | None
    no_data: bool
    daily: tuple[DailyValue, ...]
    record_ids: tuple[Any, ...]
    better: str = "higher"
    unit: str = "count"
    target_full: float | None = None
    pro_rated: bool = False
    # Minutes a machine of the worker stood still after a fault, by day ("YYYY-MM-DD"):
    # the server sends them on uptime dimensions, for days that had any.
    fault_minutes: tuple[tuple[str, int], ...] = ()

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"

    def missed_for_faults(self) -> tuple[tuple[str, int], ...]:
        """The days the dimension was missed that had fault downtime, with its minutes: by
        each day's judgement when the card has days, else every fault day of a missed
        period."""
        faults = dict(self.fault_minutes)
        if not faults:
            return ()
        if self.daily:
            return tuple((d.date, faults[d.date]) for d in self.daily
                         if not d.met and faults.get(d.date, 0) > 0)
        return () if self.met else tuple(sorted(faults.items()))

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Dimension:
        """The server sends `lower_is_better` (or `better`), `unit` and `daily_met`. A card
        cached from a server older than them lacks them: they are then read off the card
        itself (see `_better`, `_unit`), and a day is met when its value reaches the target
        (without the server's tolerance)."""
        no_data = bool(raw.get("no_data", raw.get("value") is None))
        value = _float(raw.get("value"), None)
        target = _float(raw.get("target"), None)
        days = [(str(d.get("date", "")), _float(d.get("value"), None))
                for d in raw.get("daily") or [] if isinstance(d, dict)]
        better = raw.get("better")
        if isinstance(raw.get("lower_is_better"), bool):  # the server's word wins
            better = "lower" if raw["lower_is_better"] else "higher"
        elif better not in BETTER:
            better = _better(value, target, raw.get("met"))
        unit = raw.get("unit")
        if unit not in UNITS:
            unit = _unit([value, target, *(v for _, v in days)])
        sent = raw.get("daily_met")
        judged = sent if isinstance(sent, dict) else {}
        _learn_name(raw)

        def day_met(day: str, day_value: float | None) -> bool:
            if day in judged:
                return bool(judged[day])
            if day_value is None or target is None:
                return target is None
            return day_value <= target if better == "lower" else day_value >= target

        return cls(
            key=str(raw.get("key") or "other"),
            value=value,
            target=target,
            met=bool(raw.get("met", False)) and not no_data,
            points=_float(raw.get("points")) or 0.0,
            max_points=_float(raw.get("max_points"), None),
            no_data=no_data,
            daily=tuple(DailyValue(day, v, day_met(day, v)) for day, v in days),
            record_ids=tuple(raw.get("record_ids") or ()),
            better=better,
            unit=unit,
            target_full=_float(raw.get("target_full"), None),
            pro_rated=raw.get("pro_rated") is True,
            fault_minutes=_fault_minutes(raw.get("fault_minutes")),
        )


def _fault_minutes(raw: Any) -> tuple[tuple[str, int], ...]:
    """``{"YYYY-MM-DD": minutes}`` as sorted pairs; whole minutes above zero only."""
    if not isinstance(raw, dict):
        return ()
    found = []
    for day, minutes in raw.items():
        value = _float(minutes, None)
        if isinstance(day, str) and value is not None and round(value) > 0:
            found.append((day, round(value)))
    return tuple(sorted(found))


def _better(value: float | None, target: float | None, met: Any) -> str:
    """Which way is better, from an old card: "lower" when the period's `met` only fits
    that (met below the target, or missed above it), else "higher"."""
    if value is None or target is None or not isinstance(met, bool) or value == target:
        return "higher"
    return "lower" if met == (value < target) else "higher"


def _unit(numbers: list[float | None]) -> str:
    """The unit, from an old card: shares (every number from 0 to 1) are percentages."""
    known = [n for n in numbers if n is not None]
    return "percent" if known and all(0.0 <= n <= 1.0 for n in known) else "count"


# The kinds of task lines, in the order drawn: the decisions to tell first (until the
# server has a `notice_seen` for them), then what is still to do. A card from a server
# before notices has the decisions since the last visit instead (`PAST_TASK_KINDS`).
TASK_KINDS = ("notices", "videos_due", "appeals_open", "claims_pending")
PAST_TASK_KINDS = ("videos_due", "claims_decided", "appeals_answered")


@dataclass(frozen=True)
class Task:
    """One line of today's tasks: a decision to tell (a notice: `status` is its kind, e.g.
    "appeal_upheld"), a video to watch, an open appeal or a pending claim (or, from an older
    server, a claim decided or an appeal answered)."""

    kind: str
    id: int | None = None
    title: str = ""
    title_en: str = ""
    due: str = ""
    progress: float = 0.0
    status: str = ""
    points: float | None = None
    detail: str = ""
    note: str = ""

    def label(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title

    @classmethod
    def from_json(cls, kind: str, raw: dict[str, Any]) -> Task:
        def text(key: str) -> str:
            value = raw.get(key)
            return str(value) if value is not None else ""

        ident = raw.get("id")
        return cls(
            kind=kind,
            id=ident if isinstance(ident, int) and not isinstance(ident, bool) else None,
            title=text("title"),
            title_en=text("title_en"),
            due=text("required_by"),
            progress=min(1.0, max(0.0, _float(raw.get("progress")) or 0.0)),
            status=text("status") or (text("kind") if kind == "notices" else ""),
            points=_float(raw.get("points"), None),
            detail=text("category") or text("dimension"),
            note=text("note") or text("resolution"),
        )


# Lists of `tasks` that are news to tell, not things to do.
NOT_TASKS = ("rewards_handed_over",)


def _rewards_handed(tasks: Any) -> tuple[Task, ...]:
    rows = tasks.get("rewards_handed_over") if isinstance(tasks, dict) else None
    if not isinstance(rows, list):
        return ()
    return tuple(Task.from_json("rewards_handed_over", raw) for raw in rows
                 if isinstance(raw, dict))


def _task_items(tasks: Any) -> tuple[Task, ...]:
    if not isinstance(tasks, dict):
        return ()
    return tuple(
        Task.from_json(kind, raw)
        for kind in (TASK_KINDS if "notices" in tasks else PAST_TASK_KINDS)
        if isinstance(tasks.get(kind), list)
        for raw in tasks[kind]
        if isinstance(raw, dict)
    )


# The names a metric dimension's `metric` carries, learned from the cards: key -> language
# -> name (`readout.dimension_name` reads them for keys the catalogues do not know).
METRIC_NAMES: dict[str, dict[str, str]] = {}


def _learn_name(raw: dict[str, Any]) -> None:
    metric = raw.get("metric")
    key = raw.get("key")
    if not isinstance(metric, dict) or not isinstance(key, str):
        return
    names = {"zh_CN": metric.get("name"), "en": metric.get("name_en") or metric.get("name")}
    METRIC_NAMES[key] = {lang: name for lang, name in names.items() if isinstance(name, str)}


@dataclass(frozen=True)
class TrackLine:
    """One of the dual track's lines on the card: `percent` of its dimensions' maximum
    (0 to 1), and `points` in the total (that share times its `weight`)."""

    key: str
    weight: float
    points: float
    percent: float
    complete: bool


def _tracks(data: dict[str, Any]) -> tuple[TrackLine, ...]:
    found = []
    for raw in data.get("tracks") or []:
        if isinstance(raw, dict) and raw.get("key") in ("process", "result"):
            found.append(TrackLine(str(raw["key"]), _float(raw.get("weight")) or 0.0,
                                   _float(raw.get("points")) or 0.0,
                                   _float(raw.get("percent")) or 0.0,
                                   raw.get("complete") is not False))
    return tuple(found)


def _track_weeks(data: dict[str, Any]
                 ) -> tuple[tuple[str, ...], dict[str, tuple[float | None, ...]]]:
    raw = data.get("track_weeks")
    if not isinstance(raw, dict) or not isinstance(raw.get("weeks"), list):
        return (), {}
    weeks = tuple(str(w) for w in raw["weeks"])
    lines = {}
    for key in ("process", "result"):
        values = raw.get(key)
        if isinstance(values, list) and len(values) == len(weeks):
            lines[key] = tuple(_float(v, None) for v in values)
    return weeks, lines


@dataclass(frozen=True)
class PointEntry:
    """One line of points the total counts beside the dimensions: a supervisor's remark, an
    approved claim (`kind` "remark" / "claim") or a day's hourly points ("hourly"), as the
    server lists it in `point_entries`. `pictogram` names a picture in assets/pictograms."""

    id: int | None
    date: str
    category: str
    category_name: str
    category_name_en: str = ""
    pictogram: str = "points"
    points: float = 0.0
    given_by_name: str = ""
    kind: str = "remark"  # remark | claim | hr | appeal | cap (what points_cap leaves out)
    counted: bool = True  # False: a `points` dimension holds it (not added to the sum again)

    def label(self, lang: str) -> str:
        if lang == "en" and self.category_name_en:
            return self.category_name_en
        return self.category_name or self.category_name_en or self.category

    @classmethod
    def from_json(cls, raw: Any) -> PointEntry | None:
        if not isinstance(raw, dict):
            return None
        points = _float(raw.get("points"), None)
        if points is None:
            return None
        ident = raw.get("id")

        def text(key: str, default: str = "") -> str:
            value = raw.get(key)
            return str(value) if isinstance(value, str | int | float) and value != "" \
                else default

        return cls(
            id=ident if isinstance(ident, int) and not isinstance(ident, bool) else None,
            date=text("date"), category=text("category"),
            category_name=text("category_name"), category_name_en=text("category_name_en"),
            pictogram=text("pictogram", "points"), points=points,
            given_by_name=text("given_by_name"), kind=text("kind", "remark"),
            counted=raw.get("counted") is not False,
        )


@dataclass(frozen=True)
class Adjustment:
    """Points booked into this period for a change to a closed one (`adjustments` of the
    card): `period_label` names the closed period it belongs to, when the server says."""

    id: int | None
    points: float
    booked_on: str = ""
    original_date: str = ""
    source: str = ""
    reason: str = ""
    period_kind: str = ""  # week | month: the closed period it belongs to
    period_label: str = ""

    @classmethod
    def from_json(cls, raw: Any) -> Adjustment | None:
        if not isinstance(raw, dict):
            return None
        points = _float(raw.get("points"), None)
        if points is None:
            return None
        ident = raw.get("id")

        def text(key: str) -> str:
            value = raw.get(key)
            return str(value) if isinstance(value, str | int | float) else ""

        return cls(
            id=ident if isinstance(ident, int) and not isinstance(ident, bool) else None,
            points=points, booked_on=text("booked_on"), original_date=text("original_date"),
            source=text("source"), reason=text("reason"), period_kind=text("period_kind"),
            period_label=text("period_label"),
        )


def _listed(raw: Any, parse: Any) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(item for item in (parse(r) for r in raw) if item is not None)


@dataclass(frozen=True)
class Scorecard:
    period: str
    total: float
    max_total: float | None
    complete: bool
    dimensions: tuple[Dimension, ...]
    rank: int | None
    rank_of: int | None
    tier: str | None
    next_tier: str | None
    points_needed: float | None
    today_points: float | None
    projected_total: float | None
    projected_tier: str | None
    tasks: dict[str, int]  # how many of each kind of task (the server sends lists)
    period_start: str = ""
    period_end: str = ""
    task_items: tuple[Task, ...] = ()
    # The scheme's tiers as the server names and draws them: key -> (name, stars).
    tiers: dict[str, tuple[str, int]] = field(default_factory=dict)
    balance: float | None = None  # the points account (never resets), when the server sends it
    # What the total counts beside the dimensions (the card lists every point of it).
    point_entries: tuple[PointEntry, ...] = ()
    hourly_points: float = 0.0
    adjustment_points: float = 0.0
    adjustments: tuple[Adjustment, ...] = ()
    # Set by kiosk/local_card.py when queued events were applied to a cached card.
    unconfirmed: bool = False
    local_changes: tuple[str, ...] = ()
    # Rewards a supervisor handed over since the last visit (tasks.rewards_handed_over):
    # said aloud, not a to-do line.
    rewards_handed: tuple[Task, ...] = ()

    def listed_total(self) -> float:
        """What the card's lines add up to: the dimensions' points (their tracks' points when
        the scheme has a dual track), the hourly points, the
        counted point entries and the adjustments (the server's `total`, from a server
        that sends every line)."""
        # with a dual track the dimensions count through their tracks' weighed shares
        counted = (sum(t.points for t in self.tracks) if self.tracks
                   else sum(d.points for d in self.dimensions))
        return round(counted + self.hourly_points
                     + sum(e.points for e in self.point_entries if e.counted)
                     + sum(a.points for a in self.adjustments), 2)
    # The dual track, when the scheme has one: this period's lines, and the last weeks of
    # each (`week_labels`; `weeks[key]` a share 0 to 1 or None per week).
    tracks: tuple[TrackLine, ...] = ()
    week_labels: tuple[str, ...] = ()
    weeks: dict[str, tuple[float | None, ...]] = field(default_factory=dict)

    def stars(self, key: str | None) -> int:
        """The stars the scheme gives a tier (none for no tier or one it does not list)."""
        return self.tiers[key][1] if key in self.tiers else 0

    def tier_label(self, key: str | None) -> str | None:
        """The scheme's name for a tier; None when it gave none (the name is the key)."""
        if key not in self.tiers:
            return None
        name = self.tiers[key][0]
        return None if name == key else name

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scorecard:
        dims = [Dimension.from_json(raw) for raw in data.get("dimensions") or []
                if isinstance(raw, dict)]
        tier = data.get("tier") or {}
        next_tier = data.get("next_tier") or {}
        tasks = data.get("tasks") or {}
        rank = data.get("rank")
        rank_of = data.get("rank_of")
        return cls(
            period=str(data.get("period") or "week"),
            total=_float(data.get("total")) or 0.0,
            max_total=_float(data.get("max_total"), None),
            complete=bool(data.get("complete", True)),
            dimensions=tuple(dims),
            rank=int(rank) if isinstance(rank, int | float) else None,
            rank_of=int(rank_of) if isinstance(rank_of, int | float) else None,
            tier=tier.get("key") if isinstance(tier, dict) else None,
            next_tier=next_tier.get("key") if isinstance(next_tier, dict) else None,
            points_needed=_float(next_tier.get("points_needed"), None)
            if isinstance(next_tier, dict)
            else None,
            today_points=_float(data.get("today_points"), None),
            projected_total=_float(data.get("projected_total"), None),
            projected_tier=data.get("projected_tier"),
            tasks={str(k): len(v) for k, v in tasks.items()
                   if isinstance(v, list) and v and k not in NOT_TASKS}
            if isinstance(tasks, dict)
            else {},
            period_start=str(data.get("period_start") or ""),
            period_end=str(data.get("period_end") or ""),
            task_items=_task_items(tasks),
            tiers=_tiers(data),
            balance=_float(data.get("balance"), None),
            point_entries=_listed(data.get("point_entries"), PointEntry.from_json),
            hourly_points=_float(data.get("hourly_points")) or 0.0,
            adjustment_points=_float(data.get("adjustment_points")) or 0.0,
            adjustments=_listed(data.get("adjustments"), Adjustment.from_json),
            unconfirmed=data.get("unconfirmed") is True,
            local_changes=tuple(str(k) for k in data.get("local_changes") or ()
                                if isinstance(k, str)),
            rewards_handed=_rewards_handed(tasks),
            tracks=_tracks(data),
            week_labels=_track_weeks(data)[0],
            weeks=_track_weeks(data)[1],
        )


def _tiers(data: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """The scheme's tiers from the card: its `tiers` list, and the card's own tier and next
    tier (all a card cached before the list was sent has)."""
    listed = [data.get("tier"), data.get("next_tier"), *(data.get("tiers") or [])]
    found: dict[str, tuple[str, int]] = {}
    for raw in listed:
        if isinstance(raw, dict) and isinstance(raw.get("key"), str):
            stars = raw.get("stars")
            found[raw["key"]] = (str(raw.get("name") or raw["key"]),
                                 int(stars) if isinstance(stars, int | float) else 1)
    return found


ALERT_KINDS = ("machine_fault", "quality_issue")


def alerts_key(workshop: str) -> str:
    """The cache key of the open alerts of ``workshop`` (GET /api/v1/alerts)."""
    return f"alerts:{workshop}"


@dataclass(frozen=True)
class Alert:
    """An open alert (andon) of the kiosk's workshop, as GET /api/v1/alerts sends it: a
    machine fault or a quality issue someone reported, until a supervisor or HR
    acknowledges it and it is resolved."""

    id: int
    kind: str
    machine: str = ""
    machine_name: str = ""
    reason: str = ""
    reporter: str = ""
    reporter_name: str = ""
    opened_at: datetime | None = None
    reason_name: str = ""  # the reason's name HR gave it (empty: the server had none)
    reason_name_en: str = ""
    reason_pictogram: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by_name: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def minutes_open(self, now: datetime) -> int:
        """Whole minutes since it was opened (0 when the time is unknown or ahead)."""
        if self.opened_at is None:
            return 0
        return max(0, int((now - self.opened_at).total_seconds() // 60))

    @classmethod
    def from_json(cls, raw: Any) -> Alert | None:
        """None for what is not an alert this kiosk can show (no id, another kind)."""
        if not isinstance(raw, dict):
            return None
        ident, kind = raw.get("id"), raw.get("kind")
        if not isinstance(ident, int) or isinstance(ident, bool) or kind not in ALERT_KINDS:
            return None

        def text(key: str) -> str:
            value = raw.get(key)
            return str(value) if value is not None else ""

        return cls(
            id=ident, kind=str(kind), machine=text("machine"),
            machine_name=text("machine_name") or text("machine"), reason=text("reason"),
            reporter=text("reporter"), reporter_name=text("reporter_name") or text("reporter"),
            opened_at=_aware(raw.get("opened_at")),
            acknowledged_at=_aware(raw.get("acknowledged_at")),
            acknowledged_by_name=text("acknowledged_by_name"),
            reason_name=text("reason_name"), reason_name_en=text("reason_name_en"),
            reason_pictogram=text("reason_pictogram"),
        )


def alerts_from_json(body: Any) -> list[Alert]:
    """The alerts of a cached answer (its list, or ``{"alerts": [...]}``), oldest first."""
    rows = body.get("alerts") if isinstance(body, dict) else body
    found = [a for a in (Alert.from_json(r) for r in rows or []) if a is not None] \
        if isinstance(rows, list) else []
    return sorted(found, key=lambda a: (a.opened_at is None, a.opened_at or datetime.min, a.id))


def _aware(value: Any) -> datetime | None:
    """An ISO 8601 time with its offset; None for anything else (a naive time included)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
