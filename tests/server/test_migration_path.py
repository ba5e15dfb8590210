"""Upgrading a database made by the oldest migration, one revision at a time, to head, on
both engines: each step applies, the data survives, and the result matches the models.
Written over Alembic's history, so it covers every migration added later."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, select

from server.config import Config
from server.db import Base, alembic_config, current_revision, make_engine, make_sessionmaker
from server.models import Workshop
from server.services.audit import verify_chain
from server.services.setup import initialise


def history() -> list[str]:
    """Every revision from the oldest to head (the history is linear)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def upgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_a_database_from_the_oldest_migration_upgrades_to_head(empty_database_url: str) -> None:
    revisions = history()
    assert revisions, "there are no migrations"
    upgrade(empty_database_url, revisions[0])

    engine = make_engine(empty_database_url)
    try:
        workshops = Table("workshops", MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            connection.execute(workshops.insert().values(code="OLD", name="旧车间"))
        engine.dispose()

        for revision in revisions[1:]:
            upgrade(empty_database_url, revision)
            assert current_revision(engine) == revision
            engine.dispose()
        assert current_revision(engine) == revisions[-1]

        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        with make_sessionmaker(engine)() as session:
            result = initialise(engine, session, "admin password 1")
            session.commit()
            assert not result.migrated, "nothing was left to apply"
            assert session.scalars(select(Workshop.name).where(Workshop.code == "OLD")
                                   ).one() == "旧车间"
            assert verify_chain(session).ok
    finally:
        engine.dispose()


def test_the_history_is_linear_and_ends_at_the_head_the_server_expects(
    migrated: Config,
) -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert history()[-1] == script.get_current_head()
    engine = make_engine(migrated.database_url)
    try:
        assert current_revision(engine) == history()[-1]
    finally:
        engine.dispose()


NOW = datetime(2026, 12, 1, 8, 0)


def test_cards_enrolled_before_keyed_digests_are_marked_legacy(empty_database_url: str) -> None:
    """0007: a card's old sha256 digest must never reach a kiosk's roster again, so every
    card badge from before is `legacy` (upgraded when first tapped); QR badges keep sha256."""
    upgrade(empty_database_url, "0006")
    engine = make_engine(empty_database_url)
    try:
        meta = MetaData()
        workshops, workers, badges, events = (
            Table(name, meta, autoload_with=engine)
            for name in ("workshops", "workers", "badges", "events"))
        with engine.begin() as connection:
            shop = connection.execute(workshops.insert().values(code="W", name="W")
                                      ).inserted_primary_key[0]
            worker = connection.execute(workers.insert().values(
                code="A1", name="A", workshop_id=shop, language="zh_CN", role="worker",
                active=True, created_at=NOW)).inserted_primary_key[0]
            connection.execute(badges.insert(), [
                {"worker_id": worker, "kind": "card", "credential_hash": "a" * 64,
                 "created_at": NOW},
                {"worker_id": worker, "kind": "qr", "credential_hash": "b" * 64,
                 "created_at": NOW}])
            connection.execute(events.insert(), [
                {"uuid": "u-card", "kind": "badge_in", "worker_id": None, "occurred_at": NOW,
                 "received_at": NOW, "body_hash": "e" * 64,
                 "payload": {"badge_hash": "c" * 64, "kind": "card", "reader": "r"}},
                {"uuid": "u-qr", "kind": "badge_in", "worker_id": None, "occurred_at": NOW,
                 "received_at": NOW, "body_hash": "f" * 64,
                 "payload": {"badge_hash": "d" * 64, "kind": "qr"}}])
        engine.dispose()
        upgrade(empty_database_url, "0007")
        digests = Table("badges", MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            found = dict(connection.execute(select(digests.c.kind, digests.c.digest)).all())
            payloads = dict(connection.execute(select(events.c.uuid, events.c.payload)).all())
        assert found == {"card": "legacy", "qr": "sha256"}
        # An unknown card's tap no longer gives its number away; a QR's digest stays.
        assert payloads == {"u-card": {"kind": "card", "reader": "r", "unknown": True},
                            "u-qr": {"kind": "qr", "badge_hash": "d" * 64}}
    finally:
        engine.dispose()
