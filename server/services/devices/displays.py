"""Wall display links: one revocable token per TV, stored only as a digest."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Display, Language, NameStyle, Workshop, utcnow
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.security import new_token, token_digest


@dataclass(frozen=True)
class NewDisplay:
    display: Display
    token: str

    def path(self) -> str:
        return f"/wall/{self.token}"


def add_display(session: Session, name: str, workshop_code: str | None, language: Language,
                actor: str, names: NameStyle = NameStyle.MASKED) -> NewDisplay:
    """A new display link; `names` is how its board names workers (masked by default)."""
    name = name.strip()
    if not name:
        raise InvalidInput("a display needs a name")
    if session.scalar(select(Display).where(Display.name == name)):
        raise Conflict(f"display {name!r} already exists")
    workshop = None
    if workshop_code is not None:
        workshop = session.scalar(select(Workshop).where(Workshop.code == workshop_code))
        if workshop is None:
            raise NotFound(f"no workshop with code {workshop_code!r}")
    token = new_token()
    display = Display(name=name, token_hash=token_digest(token), workshop=workshop,
                      language=language, names=names)
    session.add(display)
    session.flush()
    record(session, actor, "display.create", "display", name,
           after={"workshop": workshop_code, "language": language.value,
                  "names": names.value})
    return NewDisplay(display, token)


def set_display_names(session: Session, name: str, names: NameStyle, actor: str) -> Display:
    """How the display's board names workers from now on (its next poll shows it)."""
    display = session.scalar(select(Display).where(Display.name == name))
    if display is None:
        raise NotFound(f"no display named {name!r}")
    if display.names is not names:
        before = display.names.value
        display.names = names
        record(session, actor, "display.names", "display", name,
               before={"names": before}, after={"names": names.value})
    return display


def revoke_display(session: Session, name: str, actor: str) -> Display:
    display = session.scalar(select(Display).where(Display.name == name))
    if display is None:
        raise NotFound(f"no display named {name!r}")
    if display.revoked_at is None:
        display.revoked_at = utcnow()
        record(session, actor, "display.revoke", "display", name)
    return display


def list_displays(session: Session) -> list[Display]:
    return list(session.scalars(select(Display).order_by(Display.name)))


def lookup_display(session: Session, token: str) -> Display | None:
    """The display a link belongs to, revoked or not; None for an unknown link."""
    return session.scalar(select(Display).where(Display.token_hash == token_digest(token)))


def display_workshops(session: Session, display: Display) -> list[Workshop]:
    if display.workshop is not None:
        return [display.workshop]
    return list(session.scalars(select(Workshop).order_by(Workshop.code)))
