"""JSON log lines: ISO 8601 time with milliseconds and offset, never a secret, never a
card number or any part of a badge digest."""

from __future__ import annotations

import json
import logging
import re

import pytest
from kiosk_fakes import ZHANG_UID, card_credential, give_test_keys
from kiosk_support import badge, tap_card

from kiosk import logs as kiosk_logs
from kiosk.events import qr_credential
from kiosk.logs import log_event, setup_logging
from shopfloor_logging import JsonFormatter
from shopfloor_trust.cards import legacy_card_digest


def test_json_lines_to_file_and_stdout(tmp_path, capsys):
    setup_logging(tmp_path / "logs", kiosk_name="Kiosk A")
    logger = logging.getLogger("kiosk.test")
    log_event(logger, "badge_read", worker="W001", uid="04A1B2", token="secret", pin="1234")
    logger.warning("plain %s", "message")
    lines = (tmp_path / "logs" / "kiosk.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert first["event"] == "badge_read" and first["worker"] == "W001"
    assert first["kiosk"] == "Kiosk A"
    assert not {"uid", "token", "pin"} & set(first)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", first["ts"])
    assert json.loads(lines[1])["message"] == "plain message"
    assert "04A1B2" not in capsys.readouterr().out
    root = logging.getLogger("kiosk")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.propagate = True


def test_the_kiosk_and_the_server_format_logs_with_the_one_formatter():
    server_logs = pytest.importorskip("server.logs")  # a kiosk-only install has no server
    assert kiosk_logs.JsonFormatter is server_logs.JsonFormatter is JsonFormatter


def test_the_kiosk_and_the_server_write_the_same_shape():
    def lines(formatter: logging.Formatter) -> list[dict]:
        logger = logging.getLogger("kiosk.shape")
        made = [logger.makeRecord(logger.name, logging.INFO, __file__, 1, "badge_read", (),
                                  None, extra={"fields": {"worker": "W001", "pin": "1"}}),
                logger.makeRecord(logger.name, logging.INFO, __file__, 1, "mdns_advertised",
                                  (), None, extra={"instance": "a", "token": "t"}),
                logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "plain %s",
                                  ("text",), None)]
        return [json.loads(formatter.format(record)) for record in made]

    kiosk_lines = lines(kiosk_logs.JsonFormatter())
    server_lines = lines(JsonFormatter())
    for line in (*kiosk_lines, *server_lines):
        assert list(line)[:4] == ["ts", "level", "logger", "event"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", line["ts"])
    without_time = [[{k: v for k, v in line.items() if k != "ts"} for line in found]
                    for found in (kiosk_lines, server_lines)]
    assert without_time[0] == without_time[1] == [
        {"level": "info", "logger": "kiosk.shape", "event": "badge_read", "worker": "W001"},
        {"level": "info", "logger": "kiosk.shape", "event": "mdns_advertised", "instance": "a"},
        {"level": "warning", "logger": "kiosk.shape", "event": "message",
         "message": "plain text"},
    ]


def test_no_card_number_or_digest_reaches_a_log_line(make_app, store, tmp_path):
    """A known card, an unknown card and an unknown QR badge, through the app: the log
    names readers and workers, never a number or any part of a digest (the old lines
    carried a 48-bit prefix of the card's sha256)."""
    give_test_keys(store)
    setup_logging(tmp_path / "logs", kiosk_name="Kiosk A")
    try:
        app = make_app()
        unknown = bytes.fromhex("DEADBEEF01")
        tap_card(app, ZHANG_UID)
        assert app.scenes.top.name == "scorecard"
        tap_card(app, unknown)
        assert app.scenes.top.name == "unknown_badge"
        badge(app, qr_credential("QR-NOBODY-1234"), "qr")
    finally:
        root = logging.getLogger("kiosk")
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        root.propagate = True
    text = (tmp_path / "logs" / "kiosk.jsonl").read_text(encoding="utf-8").lower()
    assert '"event": "badge_read"' in text
    secrets = [uid.hex() for uid in (ZHANG_UID, unknown)] + [
        card_credential(ZHANG_UID), card_credential(unknown), qr_credential("QR-NOBODY-1234"),
        legacy_card_digest(ZHANG_UID.hex()), legacy_card_digest(unknown.hex())]
    for secret in secrets:
        for start in range(0, len(secret) - 8 + 1, 2):  # no 32-bit window of any of them
            assert secret[start:start + 8] not in text, secret
