"""`shopfloor-server backup` and `restore`: a demo site round-trips on both engines, and
restore refuses to overwrite a site unless told to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.demo import build_demo
from server.models import Worker
from server.services.audit import verify_chain
from server.services.backup import BackupError, backup, restore, target_is_empty
from server.services.scores import scorecards


def snapshot(config: Config) -> dict[str, Any]:
    """What a site shows: every workshop's standings, some scorecards, the audit chain."""
    engine = make_engine(config.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            today = datetime.now(config.zone).date()
            boards = {shop: scorecards.leaderboard(session, shop, "week", today, config.zone)
                      for shop in ("W1", "W2", "W3")}
            cards = {code: scorecards.worker_scorecard(session, code, "month", today,
                                                       config.zone)
                     for code in ("W003", "W024", "W045")}
            chain = verify_chain(session)
            workers = session.scalar(select(func.count()).select_from(Worker))
    finally:
        engine.dispose()
    photos = sorted(p.name for p in (config.data_dir / "photos").iterdir())
    return {"boards": boards, "cards": cards, "chain": (chain.ok, chain.entries),
            "workers": workers, "photos": photos}


def test_a_demo_site_round_trips_into_an_empty_database(
    config: Config, empty_database_url: str, tmp_path: Path
) -> None:
    build_demo(config, admin_password="demo password 1")
    before = snapshot(config)
    assert before["chain"][0] and before["chain"][1] > 0 and before["photos"]

    archive = tmp_path / "site.sfbackup"
    manifest = backup(config, archive)
    assert manifest.kind == ("sqlite" if config.database_url.startswith("sqlite")
                             else "postgresql")
    assert archive.stat().st_mode & 0o077 == 0, "a backup holds the secret key: owner only"
    with pytest.raises(BackupError, match="already exists"):
        backup(config, archive)

    target = Config.from_env(data_dir=tmp_path / "restored", database_url=empty_database_url,
                             timezone=config.timezone, testing=True)
    assert target_is_empty(target)
    result = restore(target, archive)
    assert not result.needs_upgrade
    assert not target_is_empty(target)
    assert snapshot(target) == before

    restore(target, archive)  # over a site (what --yes allows): replaced, not merged
    assert snapshot(target) == before


def test_restore_refuses_the_other_engine_and_a_file_that_is_not_a_backup(
    tmp_path: Path
) -> None:
    config = Config.from_env(data_dir=tmp_path / "site", timezone="Asia/Shanghai",
                             database_url=f"sqlite:///{tmp_path / 'site' / 'shopfloor.db'}")
    not_a_backup = tmp_path / "x.tar"
    with tarfile.open(not_a_backup, "w"):
        pass
    with pytest.raises(BackupError, match="no manifest.json"):
        restore(config, not_a_backup)

    fake_pg = tmp_path / "pg.sfbackup"
    manifest = json.dumps({"format": "shopfloor-backup", "format_version": 1,
                           "kind": "postgresql"}).encode()
    (tmp_path / "manifest.json").write_bytes(manifest)
    with tarfile.open(fake_pg, "w") as archive:
        archive.add(tmp_path / "manifest.json", arcname="manifest.json")
    with pytest.raises(BackupError, match="holds a postgresql database but the configured "
                                          "database .* is sqlite"):
        restore(config, fake_pg)


def cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *argv], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_commands_never_wait_for_input_and_need_yes_over_a_site(tmp_path: Path) -> None:
    env = {**os.environ, "SHOPFLOOR_DATA_DIR": str(tmp_path / "site"),
           "SHOPFLOOR_TIMEZONE": "Asia/Shanghai", "SHOPFLOOR_ADMIN_PASSWORD": "pw pw pw pw"}
    env.pop("SHOPFLOOR_DATABASE_URL", None)
    assert cli(env, "backup", "--out", str(tmp_path / "b")).stderr.startswith(
        "error: the database is empty or missing")
    assert cli(env, "init").returncode == 0
    made = cli(env, "backup", "--out", str(tmp_path / "b"), "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["kind"] == "sqlite"

    refused = cli(env, "restore", str(tmp_path / "b"))
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "not empty" in refused.stderr
    assert "--yes" in refused.stderr

    again = cli(env, "restore", str(tmp_path / "b"), "--yes")
    assert again.returncode == 0, again.stderr

    fresh = {**env, "SHOPFLOOR_DATA_DIR": str(tmp_path / "fresh")}
    into_empty = cli(fresh, "restore", str(tmp_path / "b"), "--json")
    assert into_empty.returncode == 0, into_empty.stderr
    init = cli(fresh, "init", "--json")
    assert json.loads(init.stdout)["migrated"] is False, "the restored schema is at head"
    assert json.loads(init.stdout)["admin_created"] is None, "its admin came back"
