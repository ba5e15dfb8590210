"""`shopfloor-server demo`: a believable factory, built twice without trouble, and served."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kiosk.link.trust import pinned_context
from server.cli import main
from server.db import make_engine, make_sessionmaker
from server.models import Badge, BadgeDigest, Role, Worker
from server.services.devices.keys import load_keys
from server.serving.tls import load_identity
from shopfloor_trust.cards import legacy_card_digest
from shopfloor_trust.pins import pin_check


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    monkeypatch.delenv("SHOPFLOOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOPFLOOR_ADMIN_PASSWORD", raising=False)
    return tmp_path / "demo"


def test_demo_builds_a_believable_factory_twice(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        assert main(["demo", "--no-serve", "--json"]) == 0
        summary = json.loads(capsys.readouterr().out)
    assert summary["workshops"] == 3
    assert summary["workers"] == 60
    assert summary["machines"] == 20
    assert len(summary["supervisors"]) == 6
    # 54 workers (supervisors run no machine) on six days a week for five full weeks at least
    assert summary["production_records"] > 54 * 6 * 5
    assert summary["point_entries"] > 20
    assert summary["admin_password"]

    assert main(["leaderboard", "--workshop", "W1", "--json"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert len(board["standings"]) >= 10
    totals = [row["total"] for row in board["standings"]]
    assert totals == sorted(totals, reverse=True)
    assert len(set(totals)) > 5, "a believable factory has varied scores"

    code = board["standings"][0]["code"]
    assert main(["scorecard", code, "--period", "week", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["worker"]["code"] == code
    assert {d["key"] for d in card["dimensions"]} == {"uptime", "defect_rate", "output"}

    # Cards as the roster sends them (keyed with the demo's site key); 6-digit PINs.
    keys = load_keys(demo_env)
    engine = make_engine(f"sqlite:///{demo_env / 'shopfloor.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            digests = dict(session.execute(select(Worker.code, Badge.credential_hash)
                                           .join(Badge.worker)).all())
            assert set(session.scalars(select(Badge.digest))) == {BadgeDigest.KEYED}
            supervisors = session.scalars(select(Worker).where(
                Worker.role == Role.SUPERVISOR)).all()
    finally:
        engine.dispose()
    for worker, uid in summary["sample_badges"].items():
        assert digests[worker] == keys.card_digest(uid) != legacy_card_digest(uid)
    for supervisor in supervisors:
        pin = summary["supervisors"][supervisor.code]
        assert len(pin) == 6 and supervisor.pin_digits == 6
        assert supervisor.pin_check == pin_check(supervisor.code, pin)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_health_over_a_real_wsgi_server(demo_env: Path) -> None:
    port, wall_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "demo", "--host", "127.0.0.1", "--port", str(port),
         "--wall-port", str(wall_port)],
        env={**os.environ}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # The plain-HTTP wall port answers the health check too.
                response = httpx.get(f"http://127.0.0.1:{wall_port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the demo server exited"
                assert time.monotonic() < deadline, "the demo server did not come up"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        # Not Flask's development server (werkzeug names itself in Server).
        assert "Werkzeug" not in response.headers.get("Server", "")
        identity = load_identity(demo_env)
        assert identity is not None, "the demo made its own certificate"
        verify = pinned_context(identity.certfile.read_text())
        tls = httpx.get(f"https://127.0.0.1:{port}/api/v1/health", timeout=5, verify=verify)
        assert tls.json()["server_id"] == response.json()["server_id"]
    finally:
        process.terminate()
        process.wait(timeout=30)
