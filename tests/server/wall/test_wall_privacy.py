"""Privacy on the wall and on the kiosk, asked as an outsider would: raw HTTP to a running
server on loopback, reading the bytes it sends.

Workshop W4 has four scored workers, best first: 陈一鸣 (P1), 林二花 (P2), 赵三强 (P3),
钱末尾 (P4). P4 climbed from nothing last week (the workshop's most improved by far) and
P3 from little; both are still in the bottom half, so no board may carry their name in
any form (full, masked, code), and a kiosk's card of theirs carries no rank.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from server.config import Config
from server.models import Language, Machine, NameStyle, RecordSource, Role, Workshop
from server.services.devices.displays import add_display, set_display_names
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.people.workers import WorkerForm, create_worker
from server.services.production.records import ProductionRow, upsert_production
from server.services.scores.privacy import in_top_half, masked
from server.services.scores.schemes import import_scheme

SCHEME = """
name: privacy
workshops: [W4]
period: week
mode: weighted
effective_from: 2026-01-01
dimensions:
  - {key: uptime, target: 0.9, weight: 100}
"""
# code, name, uptime this week, uptime last week
PEOPLE = (("P1", "陈一鸣", 0.95, 0.90), ("P2", "林二花", 0.85, 0.80),
          ("P3", "赵三强", 0.60, 0.30), ("P4", "钱末尾", 0.50, 0.0))
TOP_HALF, BOTTOM_HALF = PEOPLE[:2], PEOPLE[2:]


@pytest.fixture
def plant(session: Session, migrated: Config) -> dict[str, str]:
    """W4's four workers and their production this week and last, a display per name
    style and kiosk K4's token."""
    today = datetime.now(migrated.zone).date()
    shop = Workshop(code="W4", name="包装车间")
    session.add_all([shop, Machine(code="M4", name="封箱机", workshop=shop)])
    for code, name, _, _ in PEOPLE:
        create_worker(session, WorkerForm(code, name, "W4", Role.WORKER, Language.ZH_CN), "t")
    rows = []
    for code, _, now, before in PEOPLE:
        for day, uptime in ((today, now), (today - timedelta(days=7), before)):
            rows.append(ProductionRow(day, "day", code, "M4", 480, 480 * uptime, 100, 0))
    upsert_production(session, rows, RecordSource.MES, "t")
    import_scheme(session, SCHEME, actor="t")
    paths = {style.value: add_display(session, f"TV-{style.value}", "W4", Language.ZH_CN,
                                      actor="t", names=style).path()
             for style in NameStyle}
    paths["default"] = add_display(session, "TV-default", "W4", Language.ZH_CN,
                                   actor="t").path()
    _, token = enroll(session, add_kiosk(session, "K4", ["W4"], "t").code)
    session.commit()
    return {**paths, "kiosk": token}


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app behind a real HTTP server on loopback (werkzeug's, one request at a time,
    in a thread: shut down and joined at the end)."""
    httpd = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              name="wall-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def raw_get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def board_of(base: str, path: str) -> tuple[bytes, dict[str, Any]]:
    status, body = raw_get(base, f"{path}/board.json")
    assert status == 200, body[:300]
    (board,) = json.loads(body)["boards"]
    return body, board


def forms(code: str, name: str) -> list[bytes]:
    """Every way a board could carry a worker, as bytes on the wire (JSON may escape
    non-ASCII, so both spellings)."""
    texts = [code, name, masked(name)]
    return [t.encode() for t in texts] + [json.dumps(t).strip('"').encode() for t in texts]


@pytest.mark.parametrize("style", ["full", "masked", "code", "default"])
def test_no_board_carries_anyone_from_the_bottom_half(
        server: str, plant: dict[str, str], style: str) -> None:
    body, board = board_of(server, plant[style])
    assert len(board["top"]) == 2  # four scored: at most two
    for code, name, _, _ in BOTTOM_HALF:
        for form in forms(code, name):
            assert form not in body, (style, form)
    # P4 improved most and P3 next, yet the improvers shown are from the top half only
    assert {row["code"] for row in board["improved"]} <= {c for c, *_ in TOP_HALF}
    assert board["so_far"] is None or board["so_far"]["code"] in {c for c, *_ in TOP_HALF}


def test_names_are_masked_unless_the_display_says_otherwise(
        server: str, plant: dict[str, str]) -> None:
    shown = {}
    for style in ("default", "masked", "full", "code"):
        body, board = board_of(server, plant[style])
        shown[style] = [row["name"] for row in board["top"]]
        if style != "full":
            for _, name, _, _ in TOP_HALF:
                assert name.encode() not in body and json.dumps(name).encode() not in body
        assert not any(row["has_photo"] for row in board["top"])  # nobody has a photo yet
    assert shown["default"] == shown["masked"] == ["陈*鸣", "林*花"]
    assert shown["full"] == ["陈一鸣", "林二花"]
    assert shown["code"] == ["P1", "P2"]


def test_a_changed_setting_shows_on_the_next_poll(
        server: str, plant: dict[str, str], session: Session) -> None:
    status, first = raw_get(server, f"{plant['default']}/board.json")
    assert status == 200 and "陈*鸣" in json.loads(first)["boards"][0]["top"][0]["name"]
    set_display_names(session, "TV-default", NameStyle.CODE, actor="hr")
    session.commit()
    _, board = board_of(server, plant["default"])
    assert board["top"][0]["name"] == "P1"


def test_a_kiosk_card_of_a_bottom_worker_carries_no_rank(
        server: str, plant: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {plant['kiosk']}"}
    for code, *_ in PEOPLE:
        status, body = raw_get(server, f"/api/v1/workers/{code}/scorecard", headers)
        assert status == 200, body[:300]
        card = json.loads(body)
        # four ranked: the top 20 % is nobody (rank 1 of 4 is 25 %)
        assert card["rank"] is None and card["rank_of"] is None, code
        assert b'"rank":null' in body.replace(b" ", b"")


def test_the_kiosk_leaderboard_shows_no_more_than_the_wall(
        server: str, plant: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {plant['kiosk']}"}
    status, body = raw_get(server, "/api/v1/leaderboard?workshop=W4", headers)
    assert status == 200, body[:300]
    board = json.loads(body)
    assert [row["code"] for row in board["standings"]] == ["P1", "P2"]
    for code, name, _, _ in BOTTOM_HALF:
        for form in forms(code, name):
            assert form not in body, form


@pytest.mark.parametrize(("name", "shown"), [
    ("王小明", "王*明"), ("王明", "王*"), ("欧阳小明", "欧*明"), ("王", "王*"),
    ("John Smith", "J*h"), (" 李四 ", "李*")])
def test_masking_keeps_the_first_and_last_character(name: str, shown: str) -> None:
    assert masked(name) == shown


@pytest.mark.parametrize(("rank", "ranked", "shown"), [
    (1, 1, False), (1, 2, True), (2, 4, True), (3, 4, False), (2, 5, True), (3, 5, False),
    (5, 10, True), (6, 10, False), (None, 4, False), (0, 4, False)])
def test_the_top_half(rank: int | None, ranked: int, shown: bool) -> None:
    assert in_top_half(rank, ranked) is shown
