"""provisioning/server: the units pass `systemd-analyze verify`, the nginx example passes
`nginx -t` with a real certificate, and the install script passes shellcheck."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.deploy_checks import require, shellcheck, verify_units

SERVER = Path(__file__).resolve().parents[2] / "provisioning" / "server"


def test_every_server_unit_verifies(tmp_path: Path) -> None:
    units = sorted((SERVER / "systemd").iterdir())
    assert {u.name for u in units} == {"shopfloor-server.service", "shopfloor-backup.service",
                                       "shopfloor-backup.timer"}
    assert verify_units(units, tmp_path / "root") == "rc=0"


def test_the_units_read_the_settings_the_install_script_writes() -> None:
    script = (SERVER / "install.sh").read_text()
    for unit in ("shopfloor-server.service", "shopfloor-backup.service"):
        text = (SERVER / "systemd" / unit).read_text()
        assert "EnvironmentFile=/etc/shopfloor/shopfloor.env" in text
        assert "User=shopfloor" in text
        for variable in ("SHOPFLOOR_WORKERS", "SHOPFLOOR_BACKUP_DIR",
                         "SHOPFLOOR_BACKUP_KEEP_DAYS"):
            if variable in text:
                assert f"{variable}=" in script, f"install.sh does not set {variable}"


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    nginx = require("nginx")
    subprocess.run([require("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=shopfloor.test",
                    "-keyout", str(tmp_path / "server.key"),
                    "-out", str(tmp_path / "server.crt")],
                   check=True, capture_output=True, timeout=60)
    site = (SERVER / "nginx" / "shopfloor.conf").read_text()
    assert site.count("/etc/shopfloor/tls/") == 2
    (tmp_path / "site.conf").write_text(site.replace("/etc/shopfloor/tls/", f"{tmp_path}/"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"),
                             "-e", str(tmp_path / "error.log"), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_install_script_passes_shellcheck() -> None:
    assert shellcheck(SERVER / "install.sh") == ""
