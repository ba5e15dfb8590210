"""Preview a draft scheme: last period's scores under the draft, beside the current ones.

Nothing is stored. The draft is validated exactly as `import_scheme` would, then every
worker of its workshops is scored by the pure engine for the last full period of the
draft's kind, from the same records the scorecard service reads; the current standing
is the scorecard service's own for that period (None where no scheme was in force).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Workshop
from server.scoring import PeriodSpan, Scheme, period_span, previous_span, rank, schemes, score
from server.services import InvalidInput, ServiceError
from server.services.metrics.definitions import metric_rules
from server.services.scores.inputs import people, workshop_inputs
from server.services.scores.scorecards import leaderboard


@dataclass(frozen=True)
class PreviewRow:
    code: str
    name: str
    current: float | None
    current_tier: str | None
    draft: float
    draft_tier: str | None
    complete: bool

    @property
    def change(self) -> float | None:
        return None if self.current is None else round(self.draft - self.current, 2)


@dataclass
class WorkshopPreview:
    code: str
    name: str
    current_scheme: str | None
    rows: list[PreviewRow] = field(default_factory=list)


@dataclass
class Preview:
    scheme: Scheme
    span: PeriodSpan
    workshops: list[WorkshopPreview]


def parse_draft(session: Session, yaml_text: str) -> Scheme:
    try:
        draft = schemes.parse_yaml(yaml_text, metrics=metric_rules(session))
    except schemes.SchemeError as exc:
        raise InvalidInput(str(exc)) from None
    known = set(session.scalars(select(Workshop.code).where(
        Workshop.code.in_(draft.workshops))))
    missing = sorted(set(draft.workshops) - known)
    if missing:
        raise InvalidInput(f"workshops: unknown workshop code(s) {', '.join(missing)}")
    return draft


def preview(session: Session, yaml_text: str, zone: ZoneInfo, today: date) -> Preview:
    draft = parse_draft(session, yaml_text)
    span = previous_span(period_span(draft.period, today))
    result = Preview(draft, span, [])
    for code in draft.workshops:
        workshop = session.scalars(select(Workshop).where(Workshop.code == code)).one()
        persons = people(session, workshop.id)
        inputs = workshop_inputs(session, workshop.id, persons, span, zone)
        cards = rank([score(draft, inputs[p.id], span, span.end) for p in persons])
        try:
            board = leaderboard(session, code, draft.period.value, span.start, zone,
                                today=today)
        except ServiceError:
            board = None
        current = {e["code"]: e for e in board["standings"]} if board else {}
        names = {p.code: p.name for p in persons}
        shop = WorkshopPreview(code, workshop.name, None if board is None else
                               f"{board['scheme']['name']} v{board['scheme']['version']}")
        for card in cards:
            now = current.get(card.worker_code)
            shop.rows.append(PreviewRow(
                code=card.worker_code, name=names[card.worker_code],
                current=now["total"] if now else None,
                current_tier=now["tier"]["name"] if now and now["tier"] else None,
                draft=card.total, draft_tier=card.tier.name if card.tier else None,
                complete=card.complete))
        result.workshops.append(shop)
    return result
