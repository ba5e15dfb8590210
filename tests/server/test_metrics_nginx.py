"""/metrics behind the nginx example (provisioning/server/nginx/shopfloor.conf) on the same
host: every request nginx relays comes from loopback, and the server trusts nginx's
X-Forwarded-For, yet nothing relayed is answered without the `monitoring` token, even for
a client on this host. nginx itself refuses a request that carries no token at all."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from server.db import make_engine, make_sessionmaker
from server.services.devices.tokens import add_integration_token
from support.deploy_checks import require
from support.factory import bearer
from support.live_server import LiveServer, free_port
from support.scrape import samples, value

EXAMPLE = Path(__file__).resolve().parents[2] / "provisioning" / "server" / "nginx"


def _site(folder: Path, https_port: int, server: LiveServer) -> Path:
    """The example on free loopback ports with a certificate of the test's own."""
    subprocess.run([require("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=shopfloor.test",
                    "-keyout", str(folder / "server.key"), "-out", str(folder / "server.crt")],
                   check=True, capture_output=True, timeout=60)
    site = (EXAMPLE / "shopfloor.conf").read_text()
    for old, new in (("/etc/shopfloor/tls/", f"{folder}/"),
                     ("listen [::]:80;", ""), ("listen [::]:443 ssl http2;", ""),
                     ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("127.0.0.1:8750;", f"127.0.0.1:{server.port};"),
                     ("127.0.0.1:8751;", f"127.0.0.1:{server.wall_port};")):
        assert old in site, old
        site = site.replace(old, new)
    (folder / "site.conf").write_text(site)
    conf = folder / "nginx.conf"
    conf.write_text(f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
                    f"http {{ access_log off; include {folder}/site.conf; }}\n")
    return conf


def _token(server: LiveServer) -> str:
    engine = make_engine(f"sqlite:///{server.data_dir / 'shopfloor.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            _, token = add_integration_token(session, "prometheus", "monitoring", "test")
            session.commit()
    finally:
        engine.dispose()
    return token


def test_nginx_relays_metrics_only_with_the_token(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", env={
        "SHOPFLOOR_ADMIN_PASSWORD": "admin password 1", "SHOPFLOOR_TRUSTED_PROXIES": "1",
        "SHOPFLOOR_TRUSTED_PROXY_ADDRESSES": "127.0.0.1"})
    https_port = free_port()
    conf = _site(tmp_path, https_port, server)
    server.start()
    nginx = subprocess.Popen([require("nginx"), "-c", str(conf), "-e",
                              str(tmp_path / "error.log"), "-p", str(tmp_path),
                              "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{https_port}/metrics"
    try:
        # The hop to nginx is the test's own certificate, made above: not verified.
        with httpx.Client(verify=False, timeout=10) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    refused = client.get(url)
                    break
                except httpx.TransportError:
                    assert nginx.poll() is None, (tmp_path / "error.log").read_text()
                    assert time.monotonic() < deadline, "nginx did not answer"
                    time.sleep(0.2)
            assert refused.status_code == 403  # nginx's own: no token, not passed on
            assert "shopfloor_" not in refused.text
            for headers in (bearer("made-up-token"), {"Authorization": "Basic eDp5"},
                            {**bearer("made-up"), "X-Forwarded-For": "127.0.0.1"}):
                response = client.get(url, headers=headers)
                assert response.status_code in (401, 403), headers
                assert "shopfloor_" not in response.text
            answer = client.get(url, headers=bearer(_token(server)))
            assert answer.status_code == 200
            assert value(samples(answer.text), "shopfloor_database_up") == 1
        # The same server, asked directly from this host, needs no token.
        with httpx.Client(verify=server.verify, timeout=10) as local:
            assert local.get(f"{server.url}/metrics").status_code == 200
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        server.stop()
