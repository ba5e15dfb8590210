"""provisioning/kiosk: the unit verifies, the fleet playbook passes Ansible's syntax check
and its example inventory documents every variable it reads, and the enrolment script
enrols a kiosk with a real server. (The playbook runs for real in
tests/image/image_playbook.py, in `make image-test`.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, nodes
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


def test_the_example_inventory_documents_every_variable_the_playbook_reads() -> None:
    playbook = KIOSK / "ansible" / "playbook.yml"
    inputs = playbook_inputs(yaml.safe_load(playbook.read_text()))
    assert {"shopfloor_wheel", "technician_ssh_keys", "kiosk_start_services"} <= inputs
    example = (KIOSK / "ansible" / "inventory.example.ini").read_text()
    header = playbook.read_text().split("\n- name:", 1)[0]
    for name in sorted(inputs):
        # set on a line (maybe commented out) or named in the prose: `name=...`
        assert re.search(rf"(^|[\s`#]){name}=", example, re.MULTILINE), f"{name}: not documented"
        assert name in header, f"{name}: not in the playbook's header"


CONDITIONS = ("when", "changed_when", "failed_when", "that")


def playbook_inputs(plays: list[dict[str, Any]]) -> set[str]:
    """The variables a playbook reads but neither sets nor gets from Ansible (whose own
    are named ansible_*, or are magic: item, omit, inventory_hostname...)."""
    read: set[str] = set()
    made = {"item", "omit", "inventory_hostname", "hostvars", "groups", "play_hosts"}
    for play in plays:
        made |= set(play.get("vars", {}))
        for task in [*play.get("tasks", []), *play.get("handlers", [])]:
            made |= set(task.get("vars", {}))
            if "register" in task:
                made.add(task["register"])
        for key, value in walk(play):
            for text in value if isinstance(value, list) else [value]:
                if not isinstance(text, str):
                    continue
                if key in CONDITIONS:
                    read |= names_in("{{ " + text + " }}")
                elif "{{" in text:
                    read |= names_in(text)
    return {name for name in read - made if not name.startswith("ansible_")}


def walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for child_key, child in value.items():
            yield from walk(child, str(child_key))
    elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
        for child in value:
            yield from walk(child, key)
    else:
        yield key, value


def names_in(template: str) -> set[str]:
    tree = Environment().parse(template)
    return {name.name for name in tree.find_all(nodes.Name) if name.ctx == "load"}


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
