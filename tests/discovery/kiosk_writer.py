"""A kiosk without a screen, for fault tests: writes badge-in events to the real outbox and
runs the real sync worker against the pinned server, printing what it showed as done.

    python kiosk_writer.py DATA_DIR --server URL --first N --count C [--pause S] [--drain T]

Lines on stdout: ``ready``; ``intent N`` before event N is written; ``done N UUID`` once the
store has it (the moment a kiosk screen would say "done"); ``drained`` when ``--drain``
saw the outbox empty. Kill it with -9 whenever: the checks in fault_support.py hold anyway.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kiosk.background.sync import SyncWorker
from kiosk.link.client import KioskClient
from kiosk.link.locate import Locator, stored_pin
from kiosk.logs import setup_logging
from kiosk.store import Store

WORKER = "A00"


def say(line: str) -> None:
    # One write per line: the sync thread's JSON log lines share stdout.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--server", required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--drain", type=float, default=0.0, help="then wait so long for empty")
    args = parser.parse_args()
    setup_logging(args.data_dir / "logs", kiosk_name="fault-writer")
    store = Store(args.data_dir / "kiosk.sqlite3")
    pin = stored_pin(store)
    assert pin is not None, "enrol the kiosk first"

    def connect(url: str) -> KioskClient:
        return KioskClient(url, store.get_setting("token"), tls=pin.context(), timeout=3.0)

    sync = SyncWorker(store, None, interval_s=0.1, roster_interval_s=3600.0,
                      post=lambda *a, **k: None, discover=Locator(store, args.server,
                                                                  lambda: ()).find,
                      connect=connect, discovery_interval_s=0.2, max_backoff_s=0.5)
    sync.start()
    say("ready")
    for n in range(args.first, args.first + args.count):
        say(f"intent {n}")
        event_uuid = store.enqueue("badge_in", WORKER, {"reader": f"fault-{n}"})
        say(f"done {n} {event_uuid}")
        sync.kick()
        if args.pause:
            time.sleep(args.pause)
    deadline = time.monotonic() + args.drain
    while args.drain and time.monotonic() < deadline:
        if store.depth() == 0:
            say("drained")
            break
        sync.kick()
        time.sleep(0.05)
    sync.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
