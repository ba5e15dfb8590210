"""`language_set`: a worker chooses their language at the kiosk, and it becomes theirs on
the server (audited) and in every kiosk's roster. Anything but exactly
{"language": zh_CN | en | yue} for a worker of the kiosk's own workshops is refused with
its reason and changes nothing. Through the API with kiosk tokens, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Event, Language, Worker
from server.services.events.payloads import WorkerLanguage
from server.services.people import languages
from support.factory import Factory, PostEvents, bearer, make_event

pytestmark = pytest.mark.usefixtures("factory")


def _fresh(session: Session) -> Session:
    session.rollback()
    session.expire_all()
    return session


def _state(session: Session) -> tuple[dict[str, str], int, int]:
    """Every worker's language, the language audit entries, the language_set events."""
    session = _fresh(session)
    langs = {w.code: w.language.value for w in session.scalars(select(Worker))}
    audits = len(session.scalars(select(AuditEntry.id).where(
        AuditEntry.action == "worker.language")).all())
    stored = len(session.scalars(select(Event.id).where(Event.kind == "language_set")).all())
    return langs, audits, stored


def _roster(app: Flask, token: str) -> tuple[dict[str, Any], str]:
    response = app.test_client().get("/api/v1/roster", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json(), response.headers["ETag"]


def test_the_payload_takes_exactly_the_worker_languages() -> None:
    assert set(get_args(WorkerLanguage)) == {language.value for language in Language}


def test_a_worker_chooses_cantonese_and_every_roster_says_so(
        app: Flask, session: Session, factory: Factory, post_events: PostEvents) -> None:
    before, etag = _roster(app, factory.kiosk_token)
    assert {w["code"]: w["language"] for w in before["workers"]}["W001"] == "zh_CN"
    assert before["yue_script"] == "traditional"

    event = make_event("language_set", payload={"language": "yue"})
    assert post_events(event) == [{"uuid": event["uuid"], "status": "accepted"}]

    langs, audits, stored = _state(session)
    assert (langs["W001"], audits, stored) == ("yue", 1, 1)
    w001 = session.scalars(select(Worker).where(Worker.code == "W001")).one()
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "worker.language")).one()
    assert entry.actor == f"kiosk:K1/worker:{w001.id}"
    assert (entry.before, entry.after) == ({"language": "zh_CN"},
                                           {"language": "yue", "via": "kiosk"})
    after, new_etag = _roster(app, factory.kiosk_token)
    assert {w["code"]: w["language"] for w in after["workers"]}["W001"] == "yue"
    assert new_etag != etag

    # the same language again: accepted, nothing to change, nothing audited
    again = make_event("language_set", payload={"language": "yue"})
    assert post_events(again)[0]["status"] == "accepted"
    assert _state(session)[1] == 1


def test_a_late_older_choice_does_not_undo_a_newer_one(
        session: Session, post_events: PostEvents) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    newer = make_event("language_set", payload={"language": "en"}, occurred_at=now)
    older = make_event("language_set", payload={"language": "yue"},
                       occurred_at=now - timedelta(hours=2))  # sent late by an offline kiosk
    assert [r["status"] for r in post_events(newer)] == ["accepted"]
    assert [r["status"] for r in post_events(older)] == ["accepted"]
    langs, audits, stored = _state(session)
    assert (langs["W001"], audits, stored) == ("en", 1, 2)


ATTACKS: dict[str, tuple[dict[str, Any], str]] = {
    "an unknown language": (make_event("language_set", payload={"language": "fr"}),
                            "payload.language"),
    "a script, not a language": (make_event("language_set", payload={"language": "yue_Hans"}),
                                 "payload.language"),
    "a name, not a code": (make_event("language_set", payload={"language": "粵語"}),
                           "payload.language"),
    "an empty language": (make_event("language_set", payload={"language": ""}),
                          "payload.language"),
    "a list": (make_event("language_set", payload={"language": ["en"]}), "payload.language"),
    "no language": (make_event("language_set", payload={}), "payload.language"),
    "an extra field": (make_event("language_set",
                                  payload={"language": "en", "worker": "W002"}),
                       "payload.worker"),
    "no worker": (make_event("language_set", worker=None, payload={"language": "en"}),
                  "worker"),
    "another workshop's worker": (make_event("language_set", worker="W101",
                                             payload={"language": "en"}),
                                  "not in this kiosk's workshops"),
    "a worker who left": (make_event("language_set", worker="W999",
                                     payload={"language": "en"}), "not active"),
    "an unknown worker": (make_event("language_set", worker="NOBODY",
                                     payload={"language": "en"}), "unknown worker"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_bad_language_set_is_refused_with_its_reason_and_changes_nothing(
        attack: str, session: Session, post_events: PostEvents) -> None:
    event, reason = ATTACKS[attack]
    before = _state(session)
    [result] = post_events(event)
    assert result["status"] == "rejected", result
    assert reason in result["reason"], result
    assert _state(session) == before


def test_hr_sets_the_script_for_cantonese_audited_and_sent_in_the_roster(
        app: Flask, session: Session, factory: Factory) -> None:
    _, etag = _roster(app, factory.kiosk_token)
    assert languages.set_yue_script(session, "simplified", "user:1") is True
    assert languages.set_yue_script(session, "simplified", "user:1") is False
    with pytest.raises(languages.InvalidInput):
        languages.set_yue_script(session, "klingon", "user:1")
    session.commit()
    roster, new_etag = _roster(app, factory.kiosk_token)
    assert roster["yue_script"] == "simplified" and new_etag != etag
    entry = _fresh(session).scalars(select(AuditEntry).where(
        AuditEntry.action == "setting.yue_script")).one()
    assert (entry.before, entry.after) == ({"yue_script": "traditional"},
                                           {"yue_script": "simplified"})
