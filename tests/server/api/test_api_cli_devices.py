"""The device commands, run in-process against the same database the API serves."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.link.trust import parse_payload
from server.cli import main
from server.config import Config
from server.models import Worker
from server.services.devices.keys import load_keys
from server.services.people import pins
from server.services.security import qr_credential_hash
from server.serving.tls import load_identity
from shopfloor_trust.pins import MAX_WRONG_PINS
from support.factory import Factory, PostEvents, bearer, make_event


@pytest.fixture
def cli(migrated: Config, factory: Factory, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOPFLOOR_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(migrated.data_dir))
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")

    def run(*argv: str) -> Any:
        capsys.readouterr()
        assert main([*argv, "--json"]) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)

    return run


def _roster_worker(client: FlaskClient, token: str, code: str) -> dict[str, Any]:
    roster = client.get("/api/v1/roster", headers=bearer(token)).get_json()
    return next(w for w in roster["workers"] if w["code"] == code)  # type: ignore[no-any-return]


def test_kiosk_add_enrol_list_revoke(cli, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    added = cli("kiosk", "add", "Line-3", "--workshop", "W1,W2")
    assert added["workshops"] == ["W1", "W2"] and added["expires_at"]
    # The enrolment QR's text names this server and its certificate, in QR alphanumerics.
    payload = parse_payload(added["payload"])
    assert payload.code == added["code"] and payload.server_id == added["server_id"]
    assert payload.fingerprint == added["fingerprint"] == load_identity(
        Path(os.environ["SHOPFLOOR_DATA_DIR"])).fingerprint  # type: ignore[union-attr]
    assert set(added["payload"]) <= set(string.ascii_uppercase + string.digits + ":-")
    enrolled = client.post("/api/v1/enroll", json={"code": added["code"]}).get_json()
    headers = bearer(enrolled["token"], **{"X-Kiosk-Version": "1.2.0",
                                           "X-Kiosk-Queue-Depth": "4"})
    assert client.get("/api/v1/roster", headers=headers).status_code == 200

    listed = {k["name"]: k for k in cli("kiosk", "list")}
    assert listed["Line-3"] | {"last_seen": None, "enrolled_at": None} == {
        "name": "Line-3", "workshops": ["W1", "W2"], "state": "enrolled", "version": "1.2.0",
        "queue_depth": 4, "revoked_at": None, "last_seen": None, "enrolled_at": None}
    assert listed["Line-3"]["last_seen"]
    assert "token_hash" not in listed["Line-3"]

    assert cli("kiosk", "revoke", "Line-3")["revoked_at"]
    assert client.get("/api/v1/roster", headers=headers).status_code == 401
    fresh = cli("kiosk", "code", "Line-3")["code"]
    assert client.post("/api/v1/enroll", json={"code": fresh}).status_code == 200


def test_badge_assign_card_and_qr(cli, client: FlaskClient, factory: Factory,  # type: ignore[no-untyped-def]
                                  tmp_path: Path) -> None:
    card = cli("badge", "assign", "W001", "--uid", "04:a1:b2:c3")
    assert card == {"worker": "W001", "kind": "card"}  # never the digest
    # The card's keyed digest, made with the keys in the data folder the server reads.
    keys = load_keys(Path(os.environ["SHOPFLOOR_DATA_DIR"]))
    assert _roster_worker(client, factory.kiosk_token, "W001")["badges"] == [
        {"kind": "card", "hash": keys.card_digest("04A1B2C3")}]
    png = tmp_path / "badge.png"
    qr = cli("badge", "assign", "W002", "--qr", "--png", str(png))
    assert len(qr["secret"]) >= 32 and "hash" not in qr
    assert png.read_bytes().startswith(b"\x89PNG")
    assert _roster_worker(client, factory.kiosk_token, "W002")["badges"] == [
        {"kind": "qr", "hash": qr_credential_hash(qr["secret"])}]


def test_events_lists_what_kiosks_sent(cli, post_events: PostEvents) -> None:  # type: ignore[no-untyped-def]
    badge = make_event("badge_in")
    output = make_event("output", payload={"machine": "M1", "count": 3})
    post_events(badge, output)
    listed = cli("events", "--kind", "output")
    assert [(e["uuid"], e["worker"], e["kiosk"], e["payload"]) for e in listed] == [
        (output["uuid"], "W001", "K1", {"machine": "M1", "count": 3})]
    assert len(cli("events", "--since", "2000-01-01")) == 2
    assert cli("events", "--since", "2999-01-01T00:00:00+00:00") == []


def test_integration_tokens(cli, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    made = cli("token", "add", "erp", "--scope", "production")
    assert made["workshops"] == []  # every workshop
    row = {"date": "2026-03-09", "shift": "day", "worker_code": "W001", "machine_code": "M1",
           "planned_minutes": 480, "run_minutes": 400, "output": 900, "defects": 3}
    send = {"json": {"records": [row]}, "headers": bearer(made["token"])}
    assert client.post("/api/v1/production", **send).status_code == 200
    limited = cli("token", "add", "erp-w2", "--scope", "production", "--workshop", "W2")
    assert limited["workshops"] == ["W2"]
    assert {t["name"]: t["workshops"] for t in cli("token", "list")} == {
        "mes": [], "erp": [], "erp-w2": ["W2"]}
    cli("token", "revoke", "erp")
    assert client.post("/api/v1/production", **send).status_code == 401


@pytest.mark.parametrize(("argv", "message"), [
    (["kiosk", "add", "K9", "--workshop", "W404"], "error: no workshop W404"),
    (["kiosk", "add", "K1", "--workshop", "W1"], "error: a kiosk named 'K1' already exists"),
    (["kiosk", "revoke", "nobody"], "error: no kiosk named 'nobody'"),
    (["badge", "assign", "W001", "--uid", "XYZ"], "error: not a card number in hex (3 "),
    (["badge", "assign", "NOBODY", "--qr"], "error: no worker 'NOBODY'"),
    (["badge", "assign", "W001", "--uid", "AB", "--png", "x.png"], "error: --png goes with --qr"),
    (["events", "--since", "last week"], "error: --since: 'last week' is not an ISO date"),
    (["token", "add", "mes", "--scope", "production"], "error: a token named 'mes' already"),
    (["token", "add", "erp", "--scope", "production", "--workshop", "W404"],
     "error: no workshop W404"),
    (["worker", "unlock-pin", "W001"], "error: 'W001' is not a supervisor"),
])
def test_errors_are_one_line_on_stderr(cli, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
                                       argv: list[str], message: str) -> None:
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_a_card_cannot_belong_to_two_workers(cli, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    cli("badge", "assign", "W001", "--uid", "AABB")
    assert cli("badge", "assign", "W001", "--uid", "aa:bb")["worker"] == "W001"  # idempotent
    assert main(["badge", "assign", "W002", "--uid", "AABB"]) == 1
    assert "already belongs to worker W001" in capsys.readouterr().err


def test_pin_locks_are_listed_and_unlocked(cli, session: Session) -> None:  # type: ignore[no-untyped-def]
    s001 = session.scalars(select(Worker).where(Worker.code == "S001")).one()
    for n in range(MAX_WRONG_PINS):
        with pytest.raises(pins.PinRefused):
            pins.check_act_pin(session, s001, "000000", f"seal-{n}", "kiosk:K1")
    s101 = session.scalars(select(Worker).where(Worker.code == "S101")).one()
    s101.pin_digits = None  # a PIN from before lengths were kept
    session.commit()
    listed = cli("worker", "pin-locks")
    assert [(r["code"], r["wrong_pins"], bool(r["locked_at"])) for r in listed["locks"]] == [
        ("S001", MAX_WRONG_PINS, True)]
    assert [r["code"] for r in listed["renew"]] == ["S101"]
    assert cli("worker", "unlock-pin", "S001") == {"code": "S001", "unlocked": True,
                                                   "pin_epoch": s001.pin_epoch + 1}
    assert cli("worker", "pin-locks")["locks"] == []
    session.expire_all()
    assert (s001.pin_failures, s001.pin_locked_at) == (0, None)
