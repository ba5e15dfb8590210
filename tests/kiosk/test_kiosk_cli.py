"""shopfloor-kiosk's command line: --version, status --json, enroll against a local server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiosk import __version__
from kiosk.__main__ import main
from kiosk.store import Store


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
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), EnrollHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="enroll-server")
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_version():
    result = subprocess.run([sys.executable, "-m", "kiosk", "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == f"shopfloor-kiosk {__version__}"


def test_status_json_when_new(tmp_path, capsys):
    assert main(["status", "--data-dir", str(tmp_path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["enrolled"] is False and status["queue_depth"] == 0


def test_enroll_then_status(tmp_path, server, capsys):
    assert main(["enroll", "ONE-TIME-42", "--server", server, "--data-dir", str(tmp_path)]) == 0
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
                      "queue_depth": 1}
    log = (tmp_path / "logs" / "kiosk.jsonl").read_text()
    assert "device-token-xyz" not in log and '"event": "enrolled"' in log


def test_enroll_with_a_bad_code_fails_cleanly(tmp_path, server, capsys):
    assert main(["enroll", "WRONG", "--server", server, "--data-dir", str(tmp_path)]) == 2
    assert "invalid_code" in capsys.readouterr().err


def test_enroll_needs_a_server(tmp_path, capsys):
    assert main(["enroll", "X", "--data-dir", str(tmp_path)]) == 1
    assert "--server" in capsys.readouterr().err
