"""shopfloor-kiosk's command line: --version, status --json, enroll against a local HTTPS
server with a certificate of its own (the pinning is real; only the API is a stand-in),
and the guard that keeps a kiosk with the server it trusts unless a technician (root)
moves it with --new-server."""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from kiosk_fakes import SITE_KEY, TEST_KEYS

from kiosk import __version__
from kiosk.__main__ import main
from kiosk.link.trust import EnrolmentPayload
from kiosk.store import Store
from server.serving.tls import TlsIdentity, ensure_identity


class EnrollHandler(BaseHTTPRequestHandler):
    server_id = "srv-1"
    codes_tried: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self._answer(200, {"status": "ok", "version": "test", "server_id": self.server_id})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.codes_tried.append(str(body.get("code")))
        ok = self.path == "/api/v1/enroll" and body == {"code": "ONE-TIME-42"}
        kiosk = {"name": "Line 3 kiosk", "workshops": ["W1"]}
        answer = {"token": "device-token-xyz", "kiosk": kiosk, "server_id": self.server_id,
                  "keys": TEST_KEYS} if ok else {
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


CODES_TRIED: dict[str, list[str]] = {}  # server URL -> the codes it was sent


@contextlib.contextmanager
def serving(identity: TlsIdentity, server_id: str = "srv-1") -> Iterator[str]:
    handler = type("Handler", (EnrollHandler,), {"server_id": server_id, "codes_tried": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(identity.certfile, identity.keyfile)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, name="enroll-server")
    thread.start()
    url = f"https://127.0.0.1:{httpd.server_address[1]}"
    CODES_TRIED[url] = handler.codes_tried
    try:
        yield url
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def server(identity: TlsIdentity) -> Iterator[str]:
    with serving(identity) as url:
        yield url


def payload(identity: TlsIdentity, code: str = "ONE-TIME-42", server_id: str = "srv-1") -> str:
    return EnrolmentPayload(server_id, identity.fingerprint, code).text()


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
                      "queue_depth": 1, "fingerprint": identity.fingerprint, "keys": True,
                      "held": {}}
    log = (tmp_path / "logs" / "kiosk.jsonl").read_text()
    assert "device-token-xyz" not in log and '"event": "enrolled"' in log
    assert TEST_KEYS["site_key"] not in log and TEST_KEYS["sealing_key"] not in log
    # The token and the keys sit in a file the kiosk's user alone may read.
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "kiosk.sqlite3").stat().st_mode) == 0o600
    store = Store(tmp_path / "kiosk.sqlite3")
    assert store.site_key() == SITE_KEY
    store.close()


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


# --- the re-enrolment guard -------------------------------------------------------------

@pytest.fixture
def enrolled(tmp_path, server, identity, capsys) -> Path:
    """A kiosk enrolled with srv-1, one event waiting for it."""
    assert main(["enroll", payload(identity), "--server", server,
                 "--data-dir", str(tmp_path)]) == 0
    store = Store(tmp_path / "kiosk.sqlite3")
    store.enqueue("badge_in", "W001", {"n": 1})
    store.close()
    capsys.readouterr()
    return tmp_path


@pytest.fixture
def rogue(tmp_path_factory) -> Iterator[tuple[str, TlsIdentity]]:
    identity = ensure_identity(tmp_path_factory.mktemp("rogue"))
    with serving(identity, "srv-2") as url:
        yield url, identity


def pinned(data_dir: Path) -> tuple[str | None, str | None]:
    store = Store(data_dir / "kiosk.sqlite3")
    try:
        return store.get_setting("server_id"), store.get_setting("token")
    finally:
        store.close()


@pytest.mark.parametrize("claimed_id", ["srv-2", "srv-1"])
def test_a_code_for_another_server_is_refused_before_it_is_sent(enrolled, rogue, capsys,
                                                                claimed_id):
    url, identity = rogue
    code = payload(identity, server_id=claimed_id)  # "srv-1": the real id, its own certificate
    assert main(["enroll", code, "--server", url, "--data-dir", str(enrolled)]) == 1
    err = capsys.readouterr().err
    assert "needs a technician: sudo shopfloor-kiosk enroll --new-server" in err
    assert pinned(enrolled) == ("srv-1", "device-token-xyz")
    assert CODES_TRIED[url] == [], "the other server never saw the code"
    log = (enrolled / "logs" / "kiosk.jsonl").read_text()
    assert '"event": "enrolment_refused"' in log


def test_a_bare_code_for_another_server_is_refused_too(enrolled, rogue, capsys):
    url, _ = rogue
    assert main(["enroll", "ONE-TIME-42", "--server", url, "--trust-first-use",
                 "--data-dir", str(enrolled)]) == 1
    assert "--new-server" in capsys.readouterr().err
    assert pinned(enrolled) == ("srv-1", "device-token-xyz") and CODES_TRIED[url] == []


def test_the_same_server_can_be_enrolled_again_without_a_technician(enrolled, server,
                                                                    identity, capsys):
    assert main(["enroll", payload(identity), "--server", server,
                 "--data-dir", str(enrolled)]) == 0
    answer = json.loads(capsys.readouterr().out.splitlines()[-1])  # after the log lines
    assert answer["server_id"] == "srv-1"


def test_new_server_needs_root(enrolled, rogue, capsys, monkeypatch):
    url, identity = rogue
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["enroll", "--new-server", payload(identity, server_id="srv-2"), "--server",
                 url, "--data-dir", str(enrolled)]) == 1
    assert ("needs a technician: sudo shopfloor-kiosk enroll --new-server"
            in capsys.readouterr().err)
    assert pinned(enrolled) == ("srv-1", "device-token-xyz")


def test_a_technician_moves_the_kiosk_and_the_old_servers_events_stay_held(enrolled, rogue,
                                                                          capsys):
    url, identity = rogue
    store = Store(enrolled / "kiosk.sqlite3")
    store.save_roster({"workers": [{"code": "W001"}]}, '"old"')
    store.close()
    assert os.geteuid() == 0, "the tests run as root"
    assert main(["enroll", "--new-server", payload(identity, server_id="srv-2"), "--server",
                 url, "--data-dir", str(enrolled)]) == 0
    capsys.readouterr()
    assert main(["status", "--data-dir", str(enrolled), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["server_id"] == "srv-2" and status["fingerprint"] == identity.fingerprint
    assert status["held"] == {"srv-1": 1} and status["queue_depth"] == 0
    store = Store(enrolled / "kiosk.sqlite3")
    try:
        assert store.roster() == (None, None), "the old server's roster is forgotten"
        assert store.claim_batch() == []
        store.enqueue("badge_in", "W001", {"n": 2})
        assert [i.payload for i in store.claim_batch()] == [{"n": 2}]
    finally:
        store.close()
    assert '"event": "server_changed"' in (enrolled / "logs" / "kiosk.jsonl").read_text()


def test_files_root_wrote_go_back_to_the_kiosk_user(tmp_path: Path) -> None:
    """A technician's `sudo shopfloor-kiosk enroll --new-server` runs as root; the store
    it wrote must stay the kiosk user's, or the kiosk could not open it after."""
    from kiosk.__main__ import give_back

    data = tmp_path / "kiosk"
    (data / "logs").mkdir(parents=True)
    kiosk_user = 65534  # nobody: the folder's owner, as the playbook makes it
    os.chown(data, kiosk_user, kiosk_user)
    (data / "kiosk.sqlite3").write_bytes(b"")
    (data / "logs" / "kiosk.log").write_text("")
    give_back(data)
    owners = {(p.stat().st_uid, p.stat().st_gid) for p in (data, *data.rglob("*"))}
    assert owners == {(kiosk_user, kiosk_user)}
