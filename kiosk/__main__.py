"""shopfloor-kiosk: run | enroll CODE | status --json | --version (DESIGN.md §4c)."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from kiosk import __version__
from kiosk.config import KioskConfig
from kiosk.errors import ClientError, KioskError
from kiosk.logs import log_event, setup_logging
from kiosk.store import Store

logger = logging.getLogger("kiosk.main")


class Service(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shopfloor-kiosk", description=__doc__)
    parser.add_argument("--version", action="version", version=f"shopfloor-kiosk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the kiosk")
    run.add_argument("--server", help="server base URL, e.g. https://shopfloor.local:8443")
    run.add_argument("--fullscreen", action="store_true")
    run.add_argument("--data-dir", type=Path)
    enroll = commands.add_parser("enroll", help="enrol this kiosk with a one-time code")
    enroll.add_argument("code")
    enroll.add_argument("--server")
    enroll.add_argument("--data-dir", type=Path)
    status = commands.add_parser("status", help="show enrolment and queue state")
    status.add_argument("--data-dir", type=Path)
    status.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def make_config(args: argparse.Namespace) -> KioskConfig:
    config = KioskConfig()
    if getattr(args, "data_dir", None):
        config.data_dir = args.data_dir
    config.server_url = getattr(args, "server", None)
    config.fullscreen = getattr(args, "fullscreen", False)
    return config


def status(config: KioskConfig) -> dict[str, object]:
    store = Store(config.db_path)
    try:
        return {
            "enrolled": store.get_setting("token") is not None,
            "kiosk": store.get_setting("kiosk_name"),
            "server": store.get_setting("server_url"),
            "queue_depth": store.depth(),
            "last_sync": store.get_setting("last_sync"),
            "outbox": store.counts(),
        }
    finally:
        store.close()


def enroll(config: KioskConfig, code: str) -> dict[str, object]:
    from kiosk.client import KioskClient

    store = Store(config.db_path)
    try:
        server = config.server_url or store.get_setting("server_url")
        if not server:
            raise KioskError("no server: pass --server URL")
        with KioskClient(server) as client:
            answer = client.enroll(code)
            server_id = answer.get("server_id") or client.health().get("server_id")
        store.set_setting("token", str(answer["token"]))
        if server_id:
            store.set_setting("server_id", str(server_id))
        kiosk = answer.get("kiosk")
        name = kiosk.get("name") if isinstance(kiosk, dict) else kiosk
        store.set_setting("kiosk_name", str(name or ""))
        workshops = kiosk.get("workshops") if isinstance(kiosk, dict) else None
        if workshops:
            store.set_setting("kiosk_workshop", "、".join(str(w) for w in workshops))
        store.set_setting("server_url", server)
        log_event(logger, "enrolled", kiosk=name, server=server)
        return {"enrolled": True, "kiosk": name, "server": server}
    finally:
        store.close()


def run(config: KioskConfig) -> None:
    from kiosk.app import App
    from kiosk.client import KioskClient
    from kiosk.discovery import Candidate, browse, choose
    from kiosk.hardware import qr
    from kiosk.hardware.badge import PcscBadgeReader
    from kiosk.hardware.speech import EspeakSpeaker
    from kiosk.scenes.base import Context
    from kiosk.sync import SyncWorker
    from kiosk.ui.fonts import font_path
    from kiosk.ui.window import open_window

    font_path()
    store = Store(config.db_path)
    token = store.get_setting("token")
    server = config.server_url or store.get_setting("server_url")
    client = None
    if server and token:
        store.set_setting("server_url", server)
        log_event(logger, "server_found", url=server, source="config")
        client = KioskClient(server, token, queue_depth=store.depth)

    def discover() -> Candidate | None:
        return choose(browse(config.mdns_interfaces), store.get_setting("server_id"))

    def connect(url: str) -> KioskClient:
        return KioskClient(url, token, queue_depth=store.depth)

    sync = SyncWorker(store, client, interval_s=config.sync_interval_s,
                      roster_interval_s=config.roster_interval_s,
                      discover=discover if token else None, connect=connect)
    speaker = EspeakSpeaker(config.speech_cache_dir)
    badges = PcscBadgeReader()
    cameras = qr.camera_devices()
    camera = qr.CameraScanner(cameras[0]) if cameras else None
    window = open_window(config.fullscreen)
    ctx = Context(store=store, speaker=speaker, sync=sync, language=config.default_language,
                  workshop=store.get_setting("kiosk_workshop") or "",
                  snapshot=functools.partial(qr.snapshot, cameras[0]) if cameras else None)
    app = App(config, ctx, window, enrolled=token is not None)
    started: list[Service] = [speaker, sync, badges, *([camera] if camera else [])]
    signal.signal(signal.SIGTERM, lambda signum, frame: app.stop())
    try:
        for part in started:
            part.start()
        app.run()
    finally:
        for part in reversed(started):
            part.stop()
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = make_config(args)
    try:
        if args.command == "status":
            print(json.dumps(status(config), ensure_ascii=False, indent=None if args.json else 2))
            return 0
        name = status(config)["kiosk"]
        setup_logging(config.log_dir, kiosk_name=str(name) if name else None)
        if args.command == "enroll":
            print(json.dumps(enroll(config, args.code), ensure_ascii=False))
            return 0
        run(config)
        return 0
    except ClientError as exc:
        print(f"error: server: {exc}", file=sys.stderr)
        return 2
    except KioskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
