"""Scoring schemes in the database: import a new version, export one, find the one in force.

A scheme is never edited in place: importing a scheme with a name that exists stores the
next version, so a past period can always be scored again with the version that was in
force then.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.models import ScoringScheme, Workshop, scheme_workshops
from server.scoring import Scheme, schemes
from server.services import InvalidInput, NotFound
from server.services.audit import record
from server.services.metrics.definitions import metric_rules


def import_scheme(session: Session, yaml_text: str, actor: str) -> ScoringScheme:
    """Validate HR's YAML and store it as the next version of its name (audited).

    Raises InvalidInput naming the field, or naming the workshop codes that don't exist.
    """
    try:
        parsed = schemes.parse_yaml(yaml_text, metrics=metric_rules(session))
    except schemes.SchemeError as exc:
        raise InvalidInput(str(exc)) from None
    workshops = list(session.scalars(
        select(Workshop).where(Workshop.code.in_(parsed.workshops))
    ))
    missing = sorted(set(parsed.workshops) - {w.code for w in workshops})
    if missing:
        raise InvalidInput(f"workshops: unknown workshop code(s) {', '.join(missing)}")
    latest = session.scalar(
        select(func.max(ScoringScheme.version)).where(ScoringScheme.name == parsed.name)
    )
    version = (latest or 0) + 1
    effective_from = parsed.effective_from
    assert effective_from is not None  # the YAML model requires it
    row = ScoringScheme(
        name=parsed.name,
        version=version,
        effective_from=effective_from,
        definition=schemes.to_definition(parsed),
        created_by=actor,
        workshops=workshops,
    )
    session.add(row)
    session.flush()
    record(session, actor, "scheme.import", "scoring_scheme", row.id,
           before=None, after={"version": version, **row.definition})
    return row


def to_scheme(row: ScoringScheme) -> Scheme:
    """The engine's view of a stored version."""
    return schemes.from_definition(row.definition, version=row.version)


def export_scheme(session: Session, name: str, version: int | None = None) -> str:
    """YAML of the named scheme: the given version, or the newest one."""
    query = select(ScoringScheme).where(ScoringScheme.name == name)
    if version is not None:
        query = query.where(ScoringScheme.version == version)
    row = session.scalars(query.order_by(ScoringScheme.version.desc()).limit(1)).first()
    if row is None:
        which = f" version {version}" if version is not None else ""
        raise NotFound(f"no scoring scheme named {name!r}{which}")
    return schemes.to_yaml(to_scheme(row))


_SCHEME_FOR = (
    select(ScoringScheme)
    .join(scheme_workshops, scheme_workshops.c.scheme_id == ScoringScheme.id)
    .where(scheme_workshops.c.workshop_id == bindparam("shop"),
           ScoringScheme.effective_from <= bindparam("on"))
    .order_by(ScoringScheme.effective_from.desc(), ScoringScheme.version.desc(),
              ScoringScheme.id.desc())
    .limit(1)
)


def scheme_for(session: Session, workshop_id: int, on: date) -> ScoringScheme | None:
    """The version in force on `on` (pass a period's first day) for a workshop.

    That is the scheme linked to the workshop with the greatest `effective_from` on or
    before `on`; between two with the same date, the newer version (then the newer row).
    None when nothing was in force yet.
    """
    return session.scalars(_SCHEME_FOR, {"shop": workshop_id, "on": on}).first()

