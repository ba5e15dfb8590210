"""shopfloor-kiosk: the touchscreen program a workshop kiosk runs, and its enrolment."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from kiosk import __version__
from kiosk.cli_speak import SpeakError, build_pack, speak
from kiosk.cli_speak import add_commands as add_speak_commands
from kiosk.config import KioskConfig, speech_rate, usb_id
from kiosk.errors import ClientError, ConfigError, KioskError
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
    run.add_argument("--card-reader", action="append", type=_usb_id, metavar="VID:PID",
                     help="a keyboard-wedge reader whose every input is a card (its USB id "
                          "as lsusb shows it; repeat for more); readers named RFID or ID "
                          "card are found without it")
    run.add_argument("--speech-rate", type=int, metavar="WPM",
                     help="speech rate in words per minute, 80 to 260 (default 150, or "
                          "SHOPFLOOR_SPEECH_RATE)")
    enroll = commands.add_parser("enroll", help="enrol this kiosk with HR's enrolment code")
    enroll.add_argument("code", help="the whole code from the QR (SFK1:...), or a bare "
                                     "one-time code with --server and --trust-first-use")
    enroll.add_argument("--server", help="where to look first, e.g. https://10.0.0.5:8750")
    enroll.add_argument("--trust-first-use", action="store_true",
                        help="with a bare code: pin whatever certificate --server presents")
    enroll.add_argument("--new-server", action="store_true",
                        help="a technician (root) moves the kiosk to another server than the "
                             "one it trusts; the old server's unsent events stay, held")
    enroll.add_argument("--data-dir", type=Path)
    status = commands.add_parser("status", help="show enrolment and queue state")
    status.add_argument("--data-dir", type=Path)
    status.add_argument("--json", action="store_true")
    status.add_argument("--card-reader", action="append", type=_usb_id, metavar="VID:PID",
                        help="as for run: which input devices `readers` counts as card readers")
    add_speak_commands(commands)
    return parser.parse_args(argv)


def _usb_id(text: str) -> tuple[int, int]:
    try:
        return usb_id(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def make_config(args: argparse.Namespace) -> KioskConfig:
    config = KioskConfig()
    if getattr(args, "data_dir", None):
        config.data_dir = args.data_dir
    config.server_url = getattr(args, "server", None)
    config.fullscreen = getattr(args, "fullscreen", False)
    config.card_readers = tuple(getattr(args, "card_reader", None) or ())
    if getattr(args, "speech_rate", None) is not None:
        config.speech_rate = speech_rate(args.speech_rate)
    return config


def status(config: KioskConfig, readers: bool = False) -> dict[str, object]:
    """The kiosk's state; ``readers``: also the badge readers and cameras found."""
    from kiosk.link.locate import stored_pin

    store = Store(config.db_path)
    try:
        pin = stored_pin(store)
        return {
            "enrolled": store.get_setting("token") is not None,
            "kiosk": store.get_setting("kiosk_name"),
            "server": store.get_setting("server_url"),
            "server_id": pin.server_id if pin else None,
            "fingerprint": pin.fingerprint if pin else None,
            "queue_depth": store.depth(),
            "last_sync": store.get_setting("last_sync"),
            "outbox": store.counts(),
            # unsent events made for another server (before a --new-server enrolment):
            # kept, never sent; server id -> count
            "held": store.held(),
            "keys": store.sealing_key() is not None and store.site_key() is not None,
            **({"readers": found_readers(config)} if readers else {}),
        }
    finally:
        store.close()


def found_readers(config: KioskConfig) -> dict[str, object]:
    """PC/SC readers, every keyboard-like input device (card readers marked), cameras."""
    from kiosk.hardware.camera import camera_devices
    from kiosk.hardware.readers import installed

    return installed(config.card_readers, camera_devices())


def enroll(config: KioskConfig, code: str, trust_first_use: bool = False,
           new_server: bool = False) -> dict[str, object]:
    from kiosk.link.enrolment import enrol
    from kiosk.link.locate import mdns_browser

    store = Store(config.db_path)
    try:
        return enrol(store, code, server_url=config.server_url, trust_first_use=trust_first_use,
                     browse=mdns_browser(config.mdns_interfaces), new_server=new_server)
    finally:
        store.close()
        if os.geteuid() == 0:
            give_back(config.data_dir)


def give_back(data_dir: Path) -> None:
    """After root (a technician's --new-server) wrote to the data folder, its files belong
    to the folder's owner again, the kiosk user, or the kiosk could not open its store."""
    owner = data_dir.stat()
    for path in (data_dir, *data_dir.rglob("*")):
        found = path.lstat()
        if (found.st_uid, found.st_gid) != (owner.st_uid, owner.st_gid):
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)


def run(config: KioskConfig) -> None:
    from kiosk.app import App
    from kiosk.background.downloads import VideoDownloader, VoicePackDownloader
    from kiosk.background.sync import SyncWorker
    from kiosk.hardware import qr
    from kiosk.hardware.badge import PcscBadgeReader
    from kiosk.hardware.camera import Camera, camera_devices
    from kiosk.hardware.readers import running as running_readers
    from kiosk.hardware.speech import EspeakSpeaker
    from kiosk.hardware.wedge import WedgeReaders
    from kiosk.link.client import KioskClient
    from kiosk.link.enrolment import enrol
    from kiosk.link.locate import Locator, mdns_browser, stored_pin
    from kiosk.scenes.base import Context
    from kiosk.ui.fonts import font_path
    from kiosk.ui.window import open_window
    from kiosk.videos import VideoLibrary

    font_path()
    store = Store(config.db_path)
    if store.get_setting("token") and stored_pin(store) is None:
        # Enrolled before kiosks pinned the server's certificate: enrol again (the outbox
        # stays and is sent afterwards).
        store.delete_setting("token")
        log_event(logger, "enrolment_lost", reason="no pinned certificate",
                  depth=store.depth())
    browse = mdns_browser(config.mdns_interfaces)
    locator = Locator(store, config.server_url, browse)

    def connect(url: str) -> KioskClient:
        # The token and the pin are read anew: enrolling again changes both.
        pin = stored_pin(store)
        if pin is None:
            raise KioskError("not enrolled: the kiosk has no pinned server certificate")
        return KioskClient(url, store.get_setting("token"), queue_depth=store.depth,
                           tls=pin.context(), server_id=pin.server_id)

    def enrol_here(code: str) -> dict[str, object]:
        return enrol(store, code, server_url=config.server_url, browse=browse)

    sync = SyncWorker(store, None, interval_s=config.sync_interval_s,
                      roster_interval_s=config.roster_interval_s,
                      discover=locator.find, connect=connect, enrol=enrol_here)
    library = VideoLibrary(store, config.video_dir)

    def video_client() -> KioskClient | None:
        """A client for one round of video downloads, at the server last found."""
        url = store.get_setting("server_url")
        return connect(url) if url and store.get_setting("token") else None

    videos = VideoDownloader(store, config.video_dir, video_client,
                             budget_bytes=config.video_budget_bytes,
                             interval_s=config.video_interval_s)
    # The voice packs HR uploaded, downloaded into the data folder (<lang> -> its pack).
    voice_packs = VoicePackDownloader(config.voice_dir, video_client)
    config.voice_dir.mkdir(parents=True, exist_ok=True)
    speaker = EspeakSpeaker(config.speech_cache_dir, voice_dir=config.voice_dir,
                            rate=config.speech_rate)
    badges = PcscBadgeReader(store.card_credential)
    # One owner per camera: the QR scanner and the claim photo share its stream, and
    # nothing else opens the device. No camera at start: no photo button, no camera scans.
    camera = Camera() if camera_devices() else None
    if camera is None:
        log_event(logger, "camera", available=False, device=None, reason="no camera device")
    cameras: list[Service] = [camera, qr.CameraScanner(camera)] if camera is not None else []
    window = open_window(config.fullscreen)
    ctx = Context(store=store, speaker=speaker, sync=sync, language=config.default_language,
                  workshop=store.get_setting("kiosk_workshop") or "",
                  camera=camera,
                  videos=library)
    wedge = WedgeReaders(store.card_credential, lambda: app.roster.card_format,
                         config.card_readers)
    app = App(config, ctx, window, enrolled=store.get_setting("token") is not None,
              cards=wedge)
    started: list[Service] = [speaker, sync, videos, voice_packs, badges, wedge, *cameras]
    signal.signal(signal.SIGTERM, lambda signum, frame: app.stop())
    try:
        for part in started:
            part.start()
        log_event(logger, "readers", **running_readers(wedge, camera_devices()))
        app.run()
    finally:
        for part in reversed(started):
            part.stop()
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = make_config(args)
        if args.command in ("speak", "voice-pack"):
            done = speak(config, args) if args.command == "speak" else build_pack(config, args)
            print(json.dumps(done, ensure_ascii=False))
            return 0
        if args.command == "status":
            print(json.dumps(status(config, readers=True), ensure_ascii=False,
                             indent=None if args.json else 2))
            return 0
        name = status(config)["kiosk"]
        setup_logging(config.log_dir, kiosk_name=str(name) if name else None)
        if args.command == "enroll":
            print(json.dumps(enroll(config, args.code, args.trust_first_use, args.new_server),
                             ensure_ascii=False))
            return 0
        run(config)
        return 0
    except ClientError as exc:
        print(f"error: server: {exc}", file=sys.stderr)
        return 2
    except SpeakError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KioskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
