"""The nightly purge's systemd units pass `systemd-analyze verify` and run the command
this package registers."""

from __future__ import annotations

from pathlib import Path

from server.cli import build_parser
from support.deploy_checks import verify_units

SYSTEMD = Path(__file__).resolve().parents[3] / "provisioning" / "server" / "systemd"


def test_the_retention_units_verify(tmp_path: Path) -> None:
    units = [SYSTEMD / "shopfloor-retention.service", SYSTEMD / "shopfloor-retention.timer"]
    assert verify_units(units, tmp_path / "root") == "rc=0"
    service = units[0].read_text()
    assert "EnvironmentFile=/etc/shopfloor/shopfloor.env" in service
    assert "User=shopfloor" in service
    command = service.split("ExecStart=/opt/shopfloor/venv/bin/shopfloor-server ")[1]
    args = build_parser().parse_args(command.split("\n")[0].split())
    assert args.privacy_cmd == "purge" and args.json
