"""shopfloor-kiosk's command line: --version, status --json, enroll against a local HTTPS
server with a certificate of its own (the pinning is real; only the API is a stand-in)."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk import __version__
from kiosk.__main__ import main
from kiosk.link.trust import EnrolmentPayload
from kiosk.store import Store
from server.serving.tls import TlsIdentity, ensure_identity


class EnrollHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self._answer(200, {"status": "ok", "version": "test", "server_id": "srv-1"})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ok = self.path == "/api/v1/enroll" and body == {"code": "ONE-TIME-42"}
        kiosk = {"name": "Line 3 kiosk", "workshops": ["W1"]}
        answer = {"token": "device-token-xyz", "kiosk": kiosk, "server_id": "srv-1"} if ok else {
            "error": {"code": "invalid_code", "message": "unknown or used code"}}
        self._answer(200 if ok else 400, answer)

    def _answer(self, status: int, answer: dict) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def identity(tmp_path_factory: pytest.TempPathFactory) -> TlsIdentity:
    return ensure_identity(tmp_path_factory.mktemp("server"))


@pytest.fixture
def server(identity: TlsIdentity) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), EnrollHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(identity.certfile, identity.keyfile)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, name="enroll-server")
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def payload(identity: TlsIdentity, code: str = "ONE-TIME-42") -> str:
    return EnrolmentPayload("srv-1", identity.fingerprint, code).text()


def test_version():
    result = subprocess.run([sys.executable, "-m", "kiosk", "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == f"shopfloor-kiosk {__version__}"


def test_status_json_when_new(tmp_path, capsys):
    assert main(["status", "--data-dir", str(tmp_path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["enrolled"] is False and status["queue_depth"] == 0


def test_enroll_then_status(tmp_path, server, identity, capsys):
    code = payload(identity)
    assert main(["enroll", code, "--server", server, "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "device-token-xyz" not in out
    store = Store(tmp_path / "kiosk.sqlite3")
    assert store.get_setting("server_id") == "srv-1"
    assert store.get_setting("kiosk_workshop") == "W1"
    store.enqueue("badge_in", "W001", {})
    store.close()
    assert main(["status", "--data-dir", str(tmp_path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status == {**status, "enrolled": True, "kiosk": "Line 3 kiosk", "server": server,
                      "queue_depth": 1, "fingerprint": identity.fingerprint}
    log = (tmp_path / "logs" / "kiosk.jsonl").read_text()
    assert "device-token-xyz" not in log and '"event": "enrolled"' in log


def test_enroll_refuses_a_server_with_another_certificate(tmp_path, server, capsys):
    other = ensure_identity(tmp_path / "other")
    code = payload(other)
    assert main(["enroll", code, "--server", server, "--data-dir", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err
    log = (tmp_path / "logs" / "kiosk.jsonl").read_text()
    assert '"event": "server_refused"' in log
    status = Store(tmp_path / "kiosk.sqlite3")
    try:
        assert status.get_setting("token") is None and status.get_setting("server_cert") is None
    finally:
        status.close()


def test_a_bare_code_needs_trust_on_first_use_said_out_loud(tmp_path, server, identity, capsys):
    assert main(["enroll", "ONE-TIME-42", "--server", server, "--data-dir", str(tmp_path)]) == 1
    assert "--trust-first-use" in capsys.readouterr().err
    assert main(["enroll", "ONE-TIME-42", "--server", server, "--trust-first-use",
                 "--data-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["status", "--data-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fingerprint"] == identity.fingerprint
    assert '"event": "trust_first_use"' in Path(tmp_path / "logs" / "kiosk.jsonl").read_text()


def test_enroll_with_a_bad_code_fails_cleanly(tmp_path, server, identity, capsys):
    code = payload(identity, "WRONG")
    assert main(["enroll", code, "--server", server, "--data-dir", str(tmp_path)]) == 2
    assert "unknown or used code" in capsys.readouterr().err


def test_enroll_needs_a_server_or_the_payload(tmp_path, capsys):
    assert main(["enroll", "X", "--data-dir", str(tmp_path)]) == 1
    assert "--server" in capsys.readouterr().err


def test_a_damaged_payload_is_named(tmp_path, capsys):
    assert main(["enroll", "SFK1:ABC:NOTAFINGERPRINT:CODE", "--data-dir", str(tmp_path)]) == 1
    assert "fingerprint" in capsys.readouterr().err
