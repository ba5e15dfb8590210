"""What a wall display shows: a celebration, never a shaming.

For each workshop: this week's top 5 (only positive scores, never a rank below 5),
the 3 most improved against last week (only real improvements), the improvement star of
the last closed month (as its snapshot recorded it when HR closed the month: settled, it
never changes) and, apart from it, the running month's most improved "so far" (live).
A workshop without a scheme or data gets a friendly empty state.

Privacy (docs: "What the wall and the card show"): nobody ranked in the bottom half of
their workshop is ever on the wall, neither among the top nor among the improvers (the
star and "so far" by their month's rank): a rank counts only when it is at most half the
workshop's ranked workers (`in_top_half`), so a workshop of 4 shows at most 2 and a
workshop of 1 nobody. Names are shown as the display's `names` says (`NameStyle`):
masked (王*明) by default, in full, or as worker codes; photos only with full names.

Beside the celebration, andon: each board carries its workshop's open alerts that nobody
has acknowledged yet (`alerts`, oldest first, as `alert_dict` makes them), which the page
shows as a red banner until someone acknowledges them. Their minutes open are counted by
the page on the server's clock, so the board (and its ETag) need not change every minute.
The hall sees what is wrong and where, not who reported it: a report must never feel like
blame, so `alert_dict`'s names of people stay off the wall.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, true
from sqlalchemy.orm import Session

from server.models import Alert, AuditEntry, Language, NameStyle, ScoreStamp, Worker, Workshop
from server.scoring import period_span, previous_span
from server.services import ServiceError
from server.services.alerts import alert_dict, open_alerts
from server.services.periods.review import last_closed_star
from server.services.scores.privacy import (
    celebrated,
    in_top_half,
    ranked_count,
    ranks_of,
    shown_name,
)
from server.services.scores.scorecards import StandingsCache, leaderboard

MOST_IMPROVED = 3
# What the wall shows of an alert (of `alert_dict`): no reporter, no one who acknowledged.
ALERT_FIELDS = ("id", "kind", "workshop", "machine", "machine_name", "reason", "reason_name",
                "reason_name_en", "opened_at")


def _avatar(name: str) -> str:
    """The first character of a Chinese name is the surname; for Latin names, initials."""
    parts = name.split()
    if len(parts) > 1 and parts[0].isascii():
        return (parts[0][0] + parts[-1][0]).upper()
    return name[:1]


def _person(row: dict[str, Any], photos: dict[str, bool],
            names: NameStyle = NameStyle.MASKED) -> dict[str, Any]:
    name = shown_name(row["name"], row["code"], names)
    # by code: the code's end tells people apart (A001, A002), its first letter would not
    avatar = row["code"][-2:] if names is NameStyle.CODE else _avatar(name)
    return {"code": row["code"], "name": name, "avatar": avatar,
            "has_photo": names is NameStyle.FULL and photos.get(row["code"], False)}


def _star_in_top_half(session: Session, workshop: Workshop, star: dict[str, Any],
                      zone: ZoneInfo) -> bool:
    """Whether the closed month's star was in the top half of that month's standings (as
    its snapshot holds them)."""
    try:
        year, month = (int(part) for part in str(star["month"]).split("-"))
        board = leaderboard(session, workshop.code, "month", date(year, month, 1), zone)
    except (ServiceError, ValueError, KeyError):
        return False
    return in_top_half(ranks_of(board).get(star["code"]), ranked_count(board))


def _unacknowledged(session: Session, workshops: list[Workshop]) -> dict[int, list[Alert]]:
    """The open alerts nobody has acknowledged, by workshop id, the oldest first."""
    found: dict[int, list[Alert]] = {w.id: [] for w in workshops}
    for alert in open_alerts(session, [w.id for w in workshops]):
        if alert.acknowledged_at is None and alert.workshop_id in found:
            found[alert.workshop_id].append(alert)
    return {key: sorted(alerts, key=lambda a: (a.opened_at, a.id))
            for key, alerts in found.items()}


def _wall_alert(alert: Alert) -> dict[str, Any]:
    shown = alert_dict(alert)
    return {key: shown.get(key) for key in ALERT_FIELDS}


def _workshop_board(session: Session, workshop: Workshop, on: date, zone: ZoneInfo,
                    photos: dict[str, bool], cache: StandingsCache | None,
                    alerts: list[Alert], names: NameStyle) -> dict[str, Any]:
    base: dict[str, Any] = {"workshop": {"code": workshop.code, "name": workshop.name},
                            "top": [], "improved": [], "star": None, "so_far": None,
                            "alerts": [_wall_alert(alert) for alert in alerts]}
    star = last_closed_star(session, workshop.id)
    if star is not None and star["improvement"] > 0 \
            and _star_in_top_half(session, workshop, star, zone):
        base["star"] = {**_person(star, photos, names),
                        "improvement": round(star["improvement"], 1), "month": star["month"]}
    try:
        week = leaderboard(session, workshop.code, "week", on, zone, today=on, cache=cache)
        month = leaderboard(session, workshop.code, "month", on, zone, today=on, cache=cache)
    except ServiceError:
        return {**base, "no_scheme": True}
    week, month = celebrated(week), celebrated(month)
    base["period_start"], base["period_end"] = week["period_start"], week["period_end"]
    base["top"] = [
        {**_person(row, photos, names), "rank": row["rank"], "total": round(row["total"], 1),
         "tier": row["tier"]}
        for row in week["standings"]
    ]
    base["improved"] = [
        {**_person(row, photos, names), "improvement": round(row["improvement"], 1)}
        for row in week["most_improved"]
    ][:MOST_IMPROVED]
    if month["most_improved"]:
        leading = month["most_improved"][0]
        base["so_far"] = {**_person(leading, photos, names),
                          "improvement": round(leading["improvement"], 1),
                          "month": month["period_label"]}
    return base


def _version_statement(some: bool) -> Any:
    """The board's version in one statement, built once (a TV asks every second): the
    newest audit id, the workshops' stamps from `first` to `last`, their alerts."""
    stamps = select(func.coalesce(func.sum(ScoreStamp.stamp), 0).label("total"),
                    func.count().label("days")).where(
        ScoreStamp.date.between(bindparam("first"), bindparam("last")))
    alerts = select(func.coalesce(func.max(Alert.id), 0).label("newest"),
                    func.count(Alert.id).filter(Alert.resolved_at.is_(None)).label("open"),
                    func.count(Alert.id).filter(Alert.resolved_at.is_(None),
                                                Alert.acknowledged_at.is_(None)
                                                ).label("waiting"))
    if some:
        shops: Any = bindparam("shops", expanding=True)
        stamps = stamps.where(ScoreStamp.workshop_id.in_(shops))
        alerts = alerts.where(Alert.workshop_id.in_(shops))
    of_stamps, of_alerts = stamps.subquery(), alerts.subquery()
    return (select(select(func.coalesce(func.max(AuditEntry.id), 0)).scalar_subquery(),
                   of_stamps.c.total, of_stamps.c.days, of_alerts.c.newest,
                   of_alerts.c.open, of_alerts.c.waiting)
            .select_from(of_stamps.join(of_alerts, true())))


_VERSION_OF_ALL, _VERSION_OF_SOME = _version_statement(False), _version_statement(True)


def board_version(session: Session, workshop_ids: list[int] | None, on: date
                  ) -> tuple[int, ...]:
    """A number that moves whenever the board of these workshops (None: all) on `on` may
    change: any audited change (closed periods, schemes, people), a change to the day sums
    of their weeks and months (and the ones before, for the most improved), and their
    alerts (a new one, one acknowledged or resolved). A badge tap elsewhere leaves it
    alone, so a TV polling every second gets 304s."""
    week, month = period_span("week", on), period_span("month", on)
    params: dict[str, Any] = {"first": min(previous_span(week).start, previous_span(month).start),
                              "last": max(week.end, month.end)}
    statement = _VERSION_OF_ALL
    if workshop_ids is not None:
        statement, params["shops"] = _VERSION_OF_SOME, workshop_ids
    row = session.connection().execute(statement, params).one()
    return tuple(int(part) for part in row)


def board_version_text(session: Session, workshop_ids: list[int] | None, on: date) -> str:
    """The board's version and day as the first part of its ETag (wall/views.py), also
    read by the poll memo's refresher (wall/poll_memo.py)."""
    version = "-".join(str(part) for part in board_version(session, workshop_ids, on))
    return f"{version}-{on.isoformat()}"


def build_board(session: Session, workshops: list[Workshop], on: date, zone: ZoneInfo,
                language: Language, cache: StandingsCache | None = None,
                names: NameStyle = NameStyle.MASKED) -> dict[str, Any]:
    photos = {code: path is not None for code, path in session.execute(
        select(Worker.code, Worker.photo_path).where(
            Worker.workshop_id.in_([w.id for w in workshops])))}
    alerts = _unacknowledged(session, workshops)
    return {
        "date": on.isoformat(),
        "language": language.value,
        "names": names.value,
        "boards": [_workshop_board(session, w, on, zone, photos, cache, alerts[w.id], names)
                   for w in workshops],
    }
