import pytest
from flask import Flask
from sqlalchemy import inspect

from server.config import Config
from server.db import current_revision, head_revision, make_engine, migrate


def test_health_answers_with_version_and_server_id(app: Flask) -> None:
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["version"]
    assert len(body["server_id"]) == 16


def test_unknown_api_route_answers_in_the_json_error_shape(app: Flask) -> None:
    response = app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_migrate_twice_is_a_no_op(migrated: Config) -> None:
    engine = make_engine(migrated.database_url)
    assert current_revision(engine) == head_revision()
    assert migrate(engine) is False
    assert "workers" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_in_wal_mode(migrated: Config) -> None:
    if not migrated.database_url.startswith("sqlite"):
        pytest.skip("WAL is a SQLite mode")
    engine = make_engine(migrated.database_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
