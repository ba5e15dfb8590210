"""provisioning/kiosk: the unit verifies, the fleet playbook passes Ansible's syntax check,
and the enrolment script enrols a kiosk with a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from server.db import make_engine, make_sessionmaker
from server.models import Workshop
from server.services.devices.kiosks import add_kiosk
from support.deploy_checks import require, shellcheck, verify_units
from support.live_server import LiveServer

KIOSK = Path(__file__).resolve().parents[2] / "provisioning" / "kiosk"


def test_the_kiosk_unit_verifies_and_runs_cage_as_the_kiosk_user(tmp_path: Path) -> None:
    unit = KIOSK / "systemd" / "shopfloor-kiosk.service"
    assert verify_units([unit], tmp_path / "root") == "rc=0"
    text = unit.read_text()
    assert "User=kiosk" in text
    assert "ExecStart=/usr/bin/cage " in text and "shopfloor-kiosk run --fullscreen" in text


def test_the_fleet_playbook_passes_the_syntax_check(tmp_path: Path) -> None:
    result = subprocess.run(
        [require("ansible-playbook"), "--syntax-check", "-i",
         str(KIOSK / "ansible" / "inventory.example.ini"), str(KIOSK / "ansible" / "playbook.yml")],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ANSIBLE_HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path),
             "ANSIBLE_NOCOLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stderr, result.stderr


def test_the_enrolment_script_passes_shellcheck() -> None:
    assert shellcheck(KIOSK / "enroll.sh") == ""


def test_the_enrolment_script_enrols_a_kiosk_with_a_real_server(live_server: LiveServer,
                                                                 tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{live_server.data_dir / 'shopfloor.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            code = one_time_code(session)
    finally:
        engine.dispose()
    data = tmp_path / "kiosk"
    env = {**os.environ, "KIOSK_BIN": str(Path(sys.executable).with_name("shopfloor-kiosk")),
           "KIOSK_DATA_DIR": str(data), "KIOSK_USER": "root"}
    payload = live_server.payload(code)
    result = subprocess.run(["bash", str(KIOSK / "enroll.sh"), payload, live_server.url], env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout.strip().splitlines()[-1])
    assert status["enrolled"] is True
    assert status["server"] == live_server.url

    again = subprocess.run(["bash", str(KIOSK / "enroll.sh"), payload, live_server.url], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=120, check=False)
    assert again.returncode != 0, "a one-time code works once"


def one_time_code(session: Session) -> str:
    session.add(Workshop(code="W1", name="机加工车间"))
    session.flush()
    code = add_kiosk(session, "K1", ["W1"], "test").code
    session.commit()
    return code
