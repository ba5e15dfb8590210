"""JSON log lines: ISO 8601 time with milliseconds and offset, never a secret."""

from __future__ import annotations

import json
import logging
import re

from kiosk.logs import log_event, setup_logging


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
