"""(c) A network partition: the server and the kiosk in two namespaces joined by a veth
pair; the link goes down in the middle of a sync and comes back. Nothing is lost or stored
twice, and the kiosk kept taking events while cut off."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from fault_support import Ledger, plant_server, start_writer, stored, wait_for_line
from fault_support import writer_command as command
from netns import SERVER_IP, Namespace, NamespacedServer, ip, tag, veth_pair

from kiosk.link.trust import EnrolmentPayload
from server.serving.tls import load_identity

EVENTS = 3000


def server_id_of(server: NamespacedServer) -> str:
    import sqlite3

    db = sqlite3.connect(server.data_dir / "shopfloor.db")
    try:
        return str(db.execute("SELECT value FROM settings WHERE key = 'server_id'").fetchone()[0])
    finally:
        db.close()


@pytest.mark.slow
def test_link_down_and_up_mid_sync_loses_and_doubles_nothing(tmp_path):
    suffix = tag()
    spaces: list[Namespace] = []
    server = None
    try:
        spaces = [Namespace(f"sf-srv-{suffix}"), Namespace(f"sf-kio-{suffix}")]
        server_ns, kiosk_ns = spaces
        _, kiosk_end = veth_pair(server_ns, kiosk_ns, f"sfv{suffix}")
        base, code = plant_server(tmp_path / "server")
        server = NamespacedServer(base, server_ns, SERVER_IP)
        server.start()

        kiosk = tmp_path / "kiosk"
        identity = load_identity(server.data_dir)
        assert identity is not None
        payload = EnrolmentPayload(server_id_of(server), identity.fingerprint, code).text()
        enrolled = subprocess.run(
            [*kiosk_ns.prefix(), sys.executable, "-m", "kiosk", "enroll", payload,
             "--server", server.url, "--data-dir", str(kiosk)],
            capture_output=True, text=True, timeout=60, check=False)
        assert enrolled.returncode == 0, enrolled.stderr + enrolled.stdout

        out = tmp_path / "writer.out"
        writer = start_writer([*kiosk_ns.prefix(), *command(kiosk, server.url, count=EVENTS,
                                                            pause=0.002, drain=120)], out)
        assert wait_for_line(out, "ready", writer, timeout=30), out.read_text()[-2000:]
        deadline = time.monotonic() + 30
        while not stored(server):  # the first batches arrived: syncing is under way
            assert time.monotonic() < deadline, out.read_text()[-2000:]
            time.sleep(0.02)
        ip("-n", kiosk_ns.name, "link", "set", kiosk_end, "down")
        at_cut = len(out.read_text().split("\ndone ")), len(stored(server))
        time.sleep(3)
        during = len(out.read_text().split("\ndone ")), len(stored(server))
        ip("-n", kiosk_ns.name, "link", "set", kiosk_end, "up")

        assert writer.wait(timeout=180) == 0, out.read_text()[-3000:]
        text = out.read_text()
        assert "drained" in text.split(), text[-3000:]
        ledger = Ledger()
        ledger.read(text)
        found = ledger.check(server)
        assert len(ledger.done) == EVENTS == len(found)
        assert during[0] > at_cut[0], "the kiosk kept taking events while cut off"
        assert during[1] - at_cut[1] <= 50, "nothing but a batch in flight crossed a downed link"
        print(f"cut at {at_cut}, 3 s later {during}; {len(found)} stored in the end")
    finally:
        if server is not None:
            server.stop()
        for ns in spaces:
            ns.delete()
