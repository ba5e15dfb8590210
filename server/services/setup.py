"""First-start set-up: schema, server id, the default point categories, the first admin.

The first admin's password is the one HR gives (`SHOPFLOOR_ADMIN_PASSWORD`), or one made
here and written to `<data folder>/first-admin-password`, readable by its owner only, never
printed (under systemd the output of `run` ends up in the journal). A made password must
be changed at the first login; the file goes once it is.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from server.db import migrate
from server.models import PointCategory, PointLevel, User, UserRole
from server.services import Conflict, InvalidInput
from server.services.audit import record
from server.services.devices.identity import ensure_server_id
from server.services.points.categories import add_category
from server.services.security import hash_secret

# (code, 中文名, English name, level, points, needs approval): A-level good deeds +20 and
# B-level +5 as in the seed case; C for small everyday help.
DEFAULT_CATEGORIES: tuple[tuple[str, str, str, PointLevel, float, bool], ...] = (
    ("fault_fix", "处理设备故障", "Handled a machine fault", PointLevel.A, 10, False),
    ("safety_catch", "发现安全隐患", "Reported a safety hazard", PointLevel.A, 20, True),
    ("quality_catch", "发现质量问题", "Found a quality issue", PointLevel.A, 20, True),
    ("improvement", "改善提案", "Improvement suggestion", PointLevel.B, 5, True),
    ("help_colleague", "帮助同事", "Helped a colleague", PointLevel.B, 5, True),
    ("tidy_5s", "5S 整理整顿", "5S tidy workplace", PointLevel.C, 2, True),
)

# Each its own picture at the kiosk (services/pictograms.py; migration 0012 gives the same
# to these codes in a database made before pictures).
DEFAULT_PICTOGRAMS = {"fault_fix": "wrench", "safety_catch": "helmet",
                      "quality_catch": "quality_issue", "improvement": "lightbulb",
                      "help_colleague": "hand_help", "tidy_5s": "broom"}

MIN_PASSWORD_LENGTH = 10
FIRST_ADMIN_PASSWORD_FILE = "first-admin-password"


@dataclass(frozen=True)
class InitResult:
    migrated: bool
    server_id: str
    categories_created: int
    admin_created: str | None
    # Where a generated first password was written (None: HR gave it, or no admin made).
    password_file: Path | None


def add_default_categories(session: Session, actor: str) -> int:
    if session.scalar(select(func.count()).select_from(PointCategory)):
        return 0
    for code, name, name_en, level, points, approval in DEFAULT_CATEGORIES:
        add_category(session, code, name, level, points, approval, name_en=name_en, actor=actor,
                     pictogram=DEFAULT_PICTOGRAMS.get(code))
    return len(DEFAULT_CATEGORIES)


def add_user(session: Session, username: str, role: UserRole, password: str, actor: str) -> User:
    username = username.strip()
    if not username:
        raise InvalidInput("the user name is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_secret(password), role=role)
    session.add(user)
    session.flush()
    record(session, actor, "user.create", "user", user.id, after={"role": role.value})
    return user


def initialise(engine: Engine, session: Session, admin_password: str | None,
               actor: str = "cli", *, data_dir: Path | None = None) -> InitResult:
    """Idempotent: a second run changes nothing and creates no second admin. Without
    `admin_password` the first admin's is made and written into `data_dir`."""
    migrated = migrate(engine)
    server_id = ensure_server_id(session)
    categories = add_default_categories(session, actor)
    admin_created = password_file = None
    if not session.scalar(select(func.count()).select_from(User)):
        if admin_password is None:
            if data_dir is None:
                raise InvalidInput("no first admin password given and no data folder to "
                                   "write a generated one to")
            admin_password = secrets.token_urlsafe(15)
            password_file = data_dir / FIRST_ADMIN_PASSWORD_FILE
        user = add_user(session, "admin", UserRole.ADMIN, admin_password, actor)
        user.must_change_password = password_file is not None
        if password_file is not None:
            # Before the commit: an admin whose password nobody can read would lock HR out.
            _write_owner_only(password_file, admin_password)
        admin_created = "admin"
    session.commit()
    return InitResult(migrated, server_id, categories, admin_created, password_file)


def _write_owner_only(path: Path, text: str) -> None:
    """A new file with mode 0600; one already there (a site made before) is replaced, and
    a link planted in its place is not followed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def forget_first_admin_password(data_dir: Path) -> None:
    """The generated password was changed: its file has nothing left to tell."""
    (data_dir / FIRST_ADMIN_PASSWORD_FILE).unlink(missing_ok=True)
