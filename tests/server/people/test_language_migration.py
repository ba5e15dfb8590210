"""0009: Cantonese (yue) is a language a worker and a display may have, on both engines;
the CHECK still refuses any other word, and a downgrade makes Cantonese speakers zh_CN."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, select
from sqlalchemy.exc import IntegrityError

from server.db import alembic_config, make_engine

NOW = datetime(2026, 12, 1, 8, 0)


def migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def test_yue_is_taken_after_0009_and_undone_by_its_downgrade(empty_database_url: str) -> None:
    migrate_to(empty_database_url, "0008")
    engine = make_engine(empty_database_url)
    try:
        meta = MetaData()
        workshops = Table("workshops", meta, autoload_with=engine)
        with engine.begin() as connection:
            shop = connection.execute(workshops.insert().values(code="W", name="W")
                                      ).inserted_primary_key[0]
        workers = Table("workers", MetaData(), autoload_with=engine)

        def add(code: str, language: str) -> None:
            with engine.begin() as connection:
                connection.execute(workers.insert().values(
                    code=code, name=code, workshop_id=shop, language=language,
                    role="worker", active=True, created_at=NOW))

        add("A1", "zh_CN")
        with pytest.raises(IntegrityError):  # before 0009 the CHECK refuses yue
            add("A0", "yue")
        engine.dispose()

        migrate_to(empty_database_url, "0009")
        workers = Table("workers", MetaData(), autoload_with=engine)
        add("A2", "yue")
        with pytest.raises(IntegrityError):
            add("A3", "klingon")
        displays = Table("displays", MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            connection.execute(displays.insert().values(
                name="wall", token_hash="d" * 64, language="yue", created_at=NOW))
        with engine.connect() as connection:
            assert dict(connection.execute(select(workers.c.code, workers.c.language))
                        .all()) == {"A1": "zh_CN", "A2": "yue"}
        engine.dispose()

        migrate_to(empty_database_url, "0008", down=True)
        workers = Table("workers", MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            assert dict(connection.execute(select(workers.c.code, workers.c.language))
                        .all()) == {"A1": "zh_CN", "A2": "zh_CN"}
        with pytest.raises(IntegrityError):
            add("A4", "yue")
    finally:
        engine.dispose()
