"""provisioning/server: the units pass `systemd-analyze verify`, the nginx example passes
`nginx -t` and proxies browsers and TVs to a real server, and the install script passes
shellcheck."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from support.deploy_checks import require, shellcheck, verify_units
from support.live_server import LiveServer, free_port

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


def _nginx_site(tmp_path: Path, http_port: int, https_port: int, server: LiveServer) -> Path:
    """The example as installed, moved onto free loopback ports and a test certificate."""
    subprocess.run([require("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=shopfloor.test",
                    "-keyout", str(tmp_path / "server.key"),
                    "-out", str(tmp_path / "server.crt")],
                   check=True, capture_output=True, timeout=60)
    site = (SERVER / "nginx" / "shopfloor.conf").read_text()
    assert site.count("/etc/shopfloor/tls/") == 2
    for old, new in (("/etc/shopfloor/tls/", f"{tmp_path}/"),
                     ("listen [::]:80;", ""), ("listen [::]:443 ssl http2;", ""),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("127.0.0.1:8750;", f"127.0.0.1:{server.port};"),
                     ("127.0.0.1:8751;", f"127.0.0.1:{server.wall_port};")):
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    return conf


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    conf = _nginx_site(tmp_path, 80, 443, LiveServer(tmp_path / "unused"))
    result = subprocess.run([require("nginx"), "-t", "-c", str(conf),
                             "-e", str(tmp_path / "error.log"), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_nginx_example_proxies_browsers_and_tvs_to_a_real_server(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", env={"SHOPFLOOR_TRUSTED_PROXIES": "1",
                                                  "SHOPFLOOR_TRUSTED_PROXY_ADDRESSES": "127.0.0.1"})
    http_port, https_port = free_port(), free_port()
    conf = _nginx_site(tmp_path, http_port, https_port, server)
    server.start()
    nginx = subprocess.Popen([require("nginx"), "-c", str(conf), "-e",
                              str(tmp_path / "error.log"), "-p", str(tmp_path),
                              "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(verify=False, timeout=10) as browser:
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = browser.get(f"https://127.0.0.1:{https_port}/api/v1/health")
                    break
                except httpx.TransportError:
                    assert nginx.poll() is None, (tmp_path / "error.log").read_text()
                    assert time.monotonic() < deadline, "nginx did not answer"
                    time.sleep(0.2)
            assert health.json()["server_id"] == server.server_id
            login = browser.get(f"https://127.0.0.1:{https_port}/admin/login")
            # The server believes nginx's X-Forwarded-Proto: its cookie is Secure.
            assert login.status_code == 200 and "Secure" in login.headers["Set-Cookie"]
            to_tls = browser.get(f"http://127.0.0.1:{http_port}/admin/")
            assert to_tls.status_code == 301
            assert to_tls.headers["Location"].startswith("https://")
            # TVs stay on plain HTTP; an unknown link gets the server's own refusal.
            wall = browser.get(f"http://127.0.0.1:{http_port}/wall/not-a-display-link")
            assert wall.status_code == 403 and "此显示屏未登记" in wall.text
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        server.stop()


def test_the_install_script_passes_shellcheck() -> None:
    assert shellcheck(SERVER / "install.sh") == ""
