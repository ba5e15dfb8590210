"""The front door: `/` leads to the admin's login, and `/api/v1/docs` shows the OpenAPI
document with a Swagger UI the server serves itself, loading nothing from elsewhere."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.link.trust import pinned_context
from server.serving.tls import load_identity
from support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "server" / "static" / "vendor" / "swagger-ui"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_root_leads_to_the_admin_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login"
    assert client.get("/", follow_redirects=True).status_code == 200
    assert client.head("/").status_code == 302


def test_the_docs_page_loads_nothing_from_elsewhere(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert links and not [link for link in links if re.match(r"(?i)(https?:)?//", link)]
    assert 'data-spec-url="/api/v1/openapi.json"' in page
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert not re.search(r"https?:|\*", policy)
    for link in links:
        if link.startswith("/static/"):
            with client.get(link) as asset:
                assert asset.status_code == 200, link
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
        assert b"SwaggerUIBundle" in bundle.get_data()
    # The document the page shows.
    assert client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/docs"]


def test_the_vendored_files_keep_their_licence() -> None:
    for name in ("LICENSE", "NOTICE", "README.md", "swagger-ui-bundle.js.LICENSE.txt"):
        assert (VENDOR / name).is_file(), name
    assert "Apache License" in (VENDOR / "LICENSE").read_text()


def test_make_run_prints_the_admin_url_beside_the_demos_credentials(tmp_path: Path) -> None:
    """scripts/run-demo.sh (`make run`) without a display: the demo's summary with its
    password, then the admin's URL, which answers; the server itself prints no secret."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("DISPLAY", "WAYLAND_DISPLAY", "SHOPFLOOR_ADMIN_PASSWORD")}
    port, wall_port = free_port(), free_port()
    env |= {"SHOPFLOOR_VENV": sys.prefix, "SHOPFLOOR_DATA_DIR": str(tmp_path / "demo"),
            "SHOPFLOOR_PORT": str(port), "SHOPFLOOR_WALL_PORT": str(wall_port),
            "SHOPFLOOR_TIMEZONE": "Asia/Shanghai"}
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(["bash", str(ROOT / "scripts" / "run-demo.sh")], env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert demo.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the demo did not serve in time"
            try:
                if httpx.get(f"http://127.0.0.1:{wall_port}/api/v1/health",
                             timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        text = log.read_text()
        password = re.search(r"web login: admin / (\S+) \(shown once\)", text)
        url = re.search(r"admin pages: (https://127\.0\.0\.1:\d+/admin/login)", text)
        assert password and url, text[-3000:]
        assert text.index(password.group(0)) < text.index(url.group(0))
        assert text.count(password.group(1)) == 1  # the demo's summary, not the server
        assert url.group(1) == f"https://127.0.0.1:{port}/admin/login"
        identity = load_identity(tmp_path / "demo")
        assert identity is not None
        pinned = pinned_context(identity.certfile.read_text())
        assert httpx.get(url.group(1), verify=pinned, timeout=10).status_code == 200
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
