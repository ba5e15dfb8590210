"""`run --http`: plain HTTP only, for a TLS-terminating reverse proxy on the same host.

The server then makes no certificate and does not advertise itself (kiosks speak only
HTTPS to a pinned certificate), and with SHOPFLOOR_TRUSTED_PROXY_ADDRESSES=127.0.0.1 it
takes https from the proxy's X-Forwarded-Proto, so its login cookie is still Secure; the
same header from any other address changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kiosk.link.discovery import candidates
from support.live_server import free_port

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def http_server(tmp_path: Path):
    port = free_port()
    data = tmp_path / "server"
    env = {**os.environ, "SHOPFLOOR_DATA_DIR": str(data), "SHOPFLOOR_TIMEZONE": "Asia/Shanghai",
           "SHOPFLOOR_MDNS_INTERFACES": "127.0.0.1", "SHOPFLOOR_TRUSTED_PROXIES": "1",
           "SHOPFLOOR_TRUSTED_PROXY_ADDRESSES": "127.0.0.1",
           "SHOPFLOOR_ADMIN_PASSWORD": "a long admin password"}
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "run", "--http", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1"],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not answer in time"
            time.sleep(0.1)
        yield url, data
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_plain_http_behind_a_proxy_is_unadvertised_and_makes_no_certificate(http_server):
    url, data = http_server
    server_id = httpx.get(f"{url}/api/v1/health", timeout=5).json()["server_id"]
    # Everything is served over plain HTTP: the proxy in front does TLS.
    login = httpx.get(f"{url}/admin/login", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert login.status_code == 200
    assert "Secure" in login.headers["Set-Cookie"]
    # The same header from a peer that is not the proxy is a client's claim: ignored.
    stranger = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"),
                            timeout=5)
    with stranger:
        forged = stranger.get(f"{url}/admin/login", headers={"X-Forwarded-Proto": "https"})
    assert forged.status_code == 200 and "Secure" not in forged.headers["Set-Cookie"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(url.replace("http://", "https://") + "/api/v1/health", verify=False,
                  timeout=5)
    assert not (data / "tls").exists()
    found = candidates(LOOPBACK, timeout_s=2.5)
    try:
        assert all(c.server_id != server_id for c in found)
    finally:
        found.close()
