"""(b) The kiosk is killed with -9 at random moments while it writes and syncs.

ROUNDS rounds (100 in `make test`; `make soak` runs 1,000): each starts the screenless
kiosk writer on the same data folder, lets it write and sync for a random moment and kills
it. Then one last run drains the outbox, and the server must hold every event a run showed
as done exactly once, and nothing else.
"""

from __future__ import annotations

import os
import random
import time

import pytest
from fault_support import Ledger, drain, enrol_store, plant_server, start_writer, wait_for_line
from fault_support import writer_command as command

ROUNDS = int(os.environ.get("ROUNDS", "100"))
PER_ROUND = 1000  # more than a round can write before its kill


@pytest.mark.slow
def test_kiosk_killed_at_random_moments_loses_and_doubles_nothing(tmp_path):
    server, code = plant_server(tmp_path / "server")
    server.start()
    try:
        kiosk = tmp_path / "kiosk"
        enrol_store(kiosk, server, code)
        ledger, rng, started = Ledger(), random.Random(5), time.monotonic()
        for round_no in range(ROUNDS):
            out = tmp_path / "writer.out"
            writer = start_writer(command(kiosk, server.url, first=round_no * PER_ROUND,
                                          count=PER_ROUND, pause=0.002), out)
            assert wait_for_line(out, "ready", writer, timeout=30), out.read_text()[-2000:]
            time.sleep(rng.uniform(0.0, 0.3))
            writer.kill()
            writer.wait(timeout=10)
            ledger.read(out.read_text())
        drain(kiosk, server.url, ledger, tmp_path / "drain.out")
        found = ledger.check(server)
        print(f"{ROUNDS} kills in {time.monotonic() - started:.0f} s; "
              f"{len(ledger.done)} events shown as done, {len(found)} stored")
        assert len(ledger.done) > ROUNDS, "the rounds wrote too little to prove anything"
    finally:
        server.stop()
