"""`shopfloor-server backup` and `restore`: a demo site round-trips on both engines, and
restore refuses to overwrite a site unless told to. Encrypted backups: unreadable without
the passphrase or the key, the only ones holding the session key, and a wrong passphrase
or key, or an altered file, changes nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa, x25519
from sqlalchemy import func, select

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.demo import build_demo
from server.models import User, Worker
from server.services.audit import verify_chain
from server.services.backup import (
    BackupError,
    backup,
    identity,
    opened,
    passphrase,
    recipient,
    restore,
    target_is_empty,
)
from server.services.devices.keys import load_keys
from server.services.encryption import CHUNK
from server.services.scores import scorecards
from server.services.setup import initialise


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
    assert archive.stat().st_mode & 0o077 == 0, "a backup holds personal data: owner only"
    with pytest.raises(BackupError, match="already exists"):
        backup(config, archive)

    target = Config.from_env(data_dir=tmp_path / "restored", database_url=empty_database_url,
                             timezone=config.timezone, testing=True)
    assert target_is_empty(target)
    result = restore(target, archive)
    assert not result.needs_upgrade
    assert not target_is_empty(target)
    assert manifest.audit is not None and manifest.audit["count"] == before["chain"][1]
    once_more = (True, before["chain"][1] + 1)  # the chain, and the restore's own entry
    assert snapshot(target) == {**before, "chain": once_more}

    restore(target, archive)  # over a site (what --yes allows): replaced, not merged
    assert snapshot(target) == {**before, "chain": once_more}


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


# --- encrypted backups --------------------------------------------------------------------

PASSPHRASE = "a long backup passphrase"


def small_site(config: Config, photo_bytes: int = 1000) -> dict[str, Any]:
    """An initialised site with a secret key and one photo; returns what it holds."""
    engine = make_engine(config.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            initialise(engine, session, "admin password 1", data_dir=config.data_dir)
    finally:
        engine.dispose()
    key = config.ensure_secret_key()
    (config.data_dir / "photos").mkdir(parents=True, exist_ok=True)
    (config.data_dir / "photos" / "W001.jpg").write_bytes(os.urandom(photo_bytes))
    return site_state(config) | {"secret_key": key}


def site_state(config: Config) -> dict[str, Any]:
    engine = make_engine(config.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            users = sorted(session.scalars(select(User.username)))
    finally:
        engine.dispose()
    photos = config.data_dir / "photos" / "W001.jpg"
    key = config.data_dir / "secret_key"
    return {"users": users, "photo": photos.read_bytes() if photos.exists() else None,
            "secret_key_file": key.read_text() if key.exists() else None}


def other_site(config: Config, tmp_path: Path, empty_database_url: str) -> Config:
    return Config.from_env(data_dir=tmp_path / "restored", database_url=empty_database_url,
                           timezone=config.timezone, testing=True)


def members(archive: Path) -> set[str]:
    with tarfile.open(archive) as tar:
        return set(tar.getnames())


def write_keys(folder: Path, kind: str) -> tuple[Path, Path]:
    """A private key (PKCS#8 PEM) and its public key (SubjectPublicKeyInfo PEM), as
    `openssl genpkey` and `openssl pkey -pubout` write them."""
    private: x25519.X25519PrivateKey | rsa.RSAPrivateKey = (
        x25519.X25519PrivateKey.generate() if kind == "x25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=3072))
    folder.mkdir(parents=True, exist_ok=True)
    secret, public = folder / f"{kind}.key", folder / f"{kind}.pub"
    secret.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    public.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return secret, public


def test_only_an_encrypted_backup_holds_the_session_key_and_it_reads_as_noise(
    config: Config, tmp_path: Path
) -> None:
    site = small_site(config)
    plain, sealed = tmp_path / "plain.sfbackup", tmp_path / "sealed.sfbackup"
    backup(config, plain)
    assert "data/secret_key" not in members(plain)
    assert "data/photos/W001.jpg" in members(plain)

    backup(config, sealed, passphrase(PASSPHRASE))
    raw = sealed.read_bytes()
    assert not tarfile.is_tarfile(sealed) and not zipfile.is_zipfile(sealed)
    for clear in (b"SQLite format 3", b"PGDMP", b"manifest.json", b"admin",
                  site["secret_key"].encode(), site["photo"][:64]):
        assert clear not in raw
    db = sqlite3.connect(sealed)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            db.execute("SELECT * FROM users")
    finally:
        db.close()
    with opened(sealed, passphrase(PASSPHRASE)) as archive:
        assert "data/secret_key" in members(archive)


def test_an_encrypted_backup_restores_with_its_passphrase_and_a_wrong_one_changes_nothing(
    config: Config, empty_database_url: str, tmp_path: Path
) -> None:
    site = small_site(config)
    sealed = tmp_path / "sealed.sfbackup"
    backup(config, sealed, passphrase(PASSPHRASE))
    target = other_site(config, tmp_path, empty_database_url)

    for wrong in (passphrase("not the passphrase"), None):
        with pytest.raises(BackupError, match="passphrase"):
            restore(target, sealed, wrong)
        assert target_is_empty(target)
    restore(target, sealed, passphrase(PASSPHRASE))
    assert site_state(target) == site_state(config)
    assert site_state(target)["secret_key_file"] == site["secret_key"]

    # over a site that holds something: a wrong passphrase leaves all of it as it was
    (target.data_dir / "photos" / "W001.jpg").write_bytes(b"changed since")
    before = site_state(target)
    with pytest.raises(BackupError, match="^wrong passphrase: nothing was restored$"):
        restore(target, sealed, passphrase("still not the passphrase"))
    assert site_state(target) == before


def test_a_plain_backup_restores_without_a_session_key_and_the_server_makes_a_new_one(
    config: Config, empty_database_url: str, tmp_path: Path
) -> None:
    site = small_site(config)
    plain = tmp_path / "plain.sfbackup"
    backup(config, plain)
    target = other_site(config, tmp_path, empty_database_url)
    restore(target, plain)
    assert site_state(target)["users"] == site["users"]
    assert site_state(target)["secret_key_file"] is None
    made = target.ensure_secret_key()
    assert made and made != site["secret_key"]  # sessions of the old site end


def test_the_site_and_sealing_keys_go_into_encrypted_backups_only(
    config: Config, empty_database_url: str, tmp_path: Path
) -> None:
    small_site(config)
    keys = load_keys(config.data_dir)
    folder = config.data_dir / "keys"
    site_key, sealing_key = ((folder / name).read_bytes() for name in ("site.key",
                                                                      "sealing.key"))
    plain, sealed = tmp_path / "plain.sfbackup", tmp_path / "sealed.sfbackup"
    backup(config, plain)
    assert not {"data/keys/site.key", "data/keys/sealing.key"} & members(plain)
    raw = plain.read_bytes()
    for secret in (site_key.strip(), sealing_key.strip(), keys.site_key,
                   keys.sealing.private_bytes_raw()):
        assert secret not in raw

    backup(config, sealed, passphrase(PASSPHRASE))
    assert site_key.strip() not in sealed.read_bytes()
    with opened(sealed, passphrase(PASSPHRASE)) as archive:
        assert {"data/keys/site.key", "data/keys/sealing.key"} <= members(archive)
    target = other_site(config, tmp_path, empty_database_url)
    # A plain backup restores no keys: the site makes new ones, kiosks enrol again.
    restore(target, plain)
    assert not (target.data_dir / "keys").exists()
    # An encrypted one brings them back: every kiosk and every card digest still fits.
    restore(target, sealed, passphrase(PASSPHRASE))
    restored = load_keys(target.data_dir)
    assert (restored.site_key, restored.sealing_key_id) == (keys.site_key,
                                                            keys.sealing_key_id)
    assert restored.card_digest("04A1B2C3") == keys.card_digest("04A1B2C3")


@pytest.mark.parametrize("kind", ["x25519", "rsa"])
def test_a_backup_sealed_to_a_key_opens_only_with_its_private_key(
    config: Config, empty_database_url: str, tmp_path: Path, kind: str
) -> None:
    small_site(config)
    secret, public = write_keys(tmp_path / "keys", kind)
    other_secret, _ = write_keys(tmp_path / "other", kind)
    stranger, _ = write_keys(tmp_path / "stranger", "rsa" if kind == "x25519" else "x25519")
    sealed = tmp_path / "sealed.sfbackup"
    backup(config, sealed, recipient(public))
    target = other_site(config, tmp_path, empty_database_url)

    for no_key in (None, passphrase(PASSPHRASE)):
        with pytest.raises(BackupError, match="give its private key with --identity"):
            restore(target, sealed, no_key)
    for wrong in (other_secret, stranger):
        with pytest.raises(BackupError, match="not to the identity given .*nothing was "
                                              "restored"):
            restore(target, sealed, identity(wrong))
        assert target_is_empty(target)
    restore(target, sealed, identity(secret))
    assert site_state(target) == site_state(config)


def test_keys_that_cannot_seal_a_backup_are_refused(tmp_path: Path) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "weak.pub").write_bytes(weak.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(BackupError, match="2048 bits is too small"):
        recipient(tmp_path / "weak.pub")
    (tmp_path / "junk.pub").write_text("not a key")
    with pytest.raises(BackupError, match="no PEM public key"):
        recipient(tmp_path / "junk.pub")
    locked = x25519.X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"key password"))
    (tmp_path / "locked.key").write_bytes(locked)
    with pytest.raises(BackupError, match="encrypted private key"):
        identity(tmp_path / "locked.key")
    with pytest.raises(BackupError, match="at least 12 characters"):
        passphrase("short")


def _altered(sealed: Path, how: str) -> bytes:
    raw = bytearray(sealed.read_bytes())
    header_end = 16 + 4 + int.from_bytes(raw[16:20], "big")
    chunk = CHUNK + 16
    if how == "flipped":
        raw[header_end + chunk + 100] ^= 0x01
    elif how == "cut":
        del raw[-200:]
    elif how == "last chunk dropped":
        del raw[header_end + 2 * chunk:]
    elif how == "chunks swapped":
        first, second = (raw[header_end:header_end + chunk],
                         raw[header_end + chunk:header_end + 2 * chunk])
        raw[header_end:header_end + 2 * chunk] = second + first
    elif how == "header edited":
        raw[16 + 4:header_end] = raw[16 + 4:header_end].replace(b'"version": 1',
                                                                 b'"version":1 ')
    return bytes(raw)


def test_an_altered_or_cut_backup_is_refused_and_changes_nothing(
    config: Config, empty_database_url: str, tmp_path: Path
) -> None:
    small_site(config, photo_bytes=2 * CHUNK + 1000)  # three chunks and then some
    sealed = tmp_path / "sealed.sfbackup"
    backup(config, sealed, passphrase(PASSPHRASE))
    target = other_site(config, tmp_path, empty_database_url)
    for how in ("flipped", "cut", "last chunk dropped", "chunks swapped", "header edited"):
        bad = tmp_path / f"{how}.sfbackup"
        bad.write_bytes(_altered(sealed, how))
        with pytest.raises(BackupError, match="damaged or was altered"):
            restore(target, bad, passphrase(PASSPHRASE))
        assert target_is_empty(target), how
        assert not list(Path(tempfile.gettempdir()).glob("shopfloor-open-*")), how
    restore(target, sealed, passphrase(PASSPHRASE))
    assert site_state(target) == site_state(config)


def cli_with(env: dict[str, str], stdin: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *argv], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_commands_encrypt_and_restore_with_a_passphrase_or_a_key(tmp_path: Path) -> None:
    env = {**os.environ, "SHOPFLOOR_DATA_DIR": str(tmp_path / "site"),
           "SHOPFLOOR_TIMEZONE": "Asia/Shanghai", "SHOPFLOOR_ADMIN_PASSWORD": "pw pw pw pw"}
    for name in ("SHOPFLOOR_DATABASE_URL", "SHOPFLOOR_BACKUP_PASSPHRASE"):
        env.pop(name, None)
    assert cli(env, "init").returncode == 0
    sealed = tmp_path / "b.sfbackup"
    made = cli_with(env, PASSPHRASE + "\n", "backup", "--out", str(sealed), "--encrypt",
                    "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["encrypted_to"] == "a passphrase"
    plain = cli(env, "backup", "--out", str(tmp_path / "plain.sfbackup"))
    assert "not encrypted" in plain.stdout and "no session key" in plain.stdout

    no_passphrase = cli(env, "restore", str(sealed), "--yes")
    assert no_passphrase.returncode == 1
    assert no_passphrase.stderr == "error: no passphrase on standard input\n"
    wrong = cli({**env, "SHOPFLOOR_BACKUP_PASSPHRASE": "a wrong passphrase"}, "restore",
                str(sealed), "--yes")
    assert wrong.returncode == 1
    assert wrong.stderr == "error: wrong passphrase: nothing was restored\n"
    right = cli({**env, "SHOPFLOOR_BACKUP_PASSPHRASE": PASSPHRASE}, "restore", str(sealed),
                "--yes")
    assert right.returncode == 0, right.stderr
    from_stdin = cli_with(env, PASSPHRASE + "\n", "restore", str(sealed), "--yes")
    assert from_stdin.returncode == 0, from_stdin.stderr

    secret, public = write_keys(tmp_path / "keys", "x25519")
    to_key = tmp_path / "k.sfbackup"
    made = cli(env, "backup", "--out", str(to_key), "--recipient", str(public))
    assert made.returncode == 0, made.stderr
    assert "encrypted to the key" in made.stdout
    refused = cli(env, "restore", str(to_key), "--yes")
    assert refused.returncode == 1 and "--identity" in refused.stderr
    assert refused.stderr.count("\n") == 1
    done = cli(env, "restore", str(to_key), "--identity", str(secret), "--yes")
    assert done.returncode == 0, done.stderr
