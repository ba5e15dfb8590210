"""(a) The server is killed with -9 (master and workers, no goodbye) at random moments
while a kiosk streams 2,000 events; 10 rounds. The kiosk keeps writing while the server is
down, finds it again by its last address and drains; nothing is lost or stored twice."""

from __future__ import annotations

import random
import time

import pytest
from fault_support import Ledger, enrol_store, plant_server, start_writer, wait_for_line
from fault_support import writer_command as command

ROUNDS = 10
EVENTS = 2000


@pytest.mark.slow
def test_server_killed_while_a_kiosk_streams_loses_and_doubles_nothing(tmp_path):
    server, code = plant_server(tmp_path / "server", workers=2)
    server.start()
    try:
        kiosk = tmp_path / "kiosk"
        enrol_store(kiosk, server, code)
        ledger, rng = Ledger(), random.Random(7)
        for round_no in range(ROUNDS):
            started = time.monotonic()
            out = tmp_path / f"writer-{round_no}.out"
            writer = start_writer(command(kiosk, server.url, first=round_no * EVENTS,
                                          count=EVENTS, pause=0.001, drain=90), out)
            assert wait_for_line(out, "ready", writer, timeout=30), out.read_text()[-2000:]
            time.sleep(rng.uniform(0.1, 2.0))
            server.kill()
            time.sleep(rng.uniform(0.0, 1.0))
            server.start()
            assert writer.wait(timeout=150) == 0, out.read_text()[-3000:]
            ledger.read(out.read_text())
            assert "drained" in out.read_text().split(), out.read_text()[-3000:]
            found = ledger.check(server)
            print(f"round {round_no}: {len(found)} stored in {time.monotonic() - started:.1f} s")
        assert len(ledger.done) == ROUNDS * EVENTS
    finally:
        server.stop()
