"""Routes that bring data in: kiosk events, MES/ERP production records, the document."""

from __future__ import annotations

import random
import time
from contextlib import AbstractContextManager, nullcontext
from typing import cast

from flask import Response, jsonify
from sqlalchemy import Table, bindparam, inspect, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from server.api.auth import current_integration, current_kiosk
from server.api.schemas import (
    EventResults,
    MetricBatch,
    MetricReport,
    ProductionBatch,
    ProductionReport,
    RawMetricBatch,
    RawProductionBatch,
)
from server.api.spec import openapi_document, operation, parse_body
from server.db import sqlite_writes
from server.models import Kiosk
from server.observability.instruments import batch_kinds, instruments
from server.services.devices.tokens import token_workshops
from server.services.events.ingest import ingest, prepare
from server.services.events.kinds import EventBatch, RawBatch
from server.services.metrics.feed import receive_metrics
from server.services.production.feed import receive_production
from server.version import __version__
from server.web import app_config, db_session, server_keys

# How often a batch is tried when a concurrent request stored one of its UUIDs first, or
# the database broke a deadlock by failing this one. Each failure means another batch got
# through, so a few kiosks resending the same events all get answers; the next attempt
# sees what the other stored.
INGEST_ATTEMPTS = 16
# Before trying again a batch waits a random while up to this many seconds times the
# attempts so far, so that batches that met do not meet again at once.
RETRY_BACKOFF_S = 0.01
# PostgreSQL's codes for a transaction it failed so that others could go on.
_RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected
# A kiosk's contact, as `current_kiosk` notes it on the kiosk's row, written by one
# statement: the unit of work's flush of the one changed row costs more than the UPDATE.
_CONTACT = ("last_seen", "version", "queue_depth")
_KIOSKS = cast(Table, Kiosk.__table__)
_WRITE_CONTACT = (update(_KIOSKS).where(_KIOSKS.c.id == bindparam("kiosk"))
                  .values({name: bindparam(name) for name in _CONTACT}))


@operation(
    "POST", "/events", auth="kiosk", summary="Send a batch of events (at most 500)",
    description=(
        "Each event gets a result, in order: `accepted`; `duplicate` when an identical "
        "event (same uuid, kind, worker, occurred_at and payload) was stored before or "
        "earlier in the batch - never counted twice; or `rejected` with a reason naming the "
        "field: an event that does not fit its kind, names a worker, machine or workshop "
        "this kiosk does not serve, or reuses a stored UUID with a different body. One bad "
        "event does not reject the batch; resend only what got no answer.\n\n"
        "Time: occurred_at is the kiosk's clock corrected by its offset from this server's "
        "(the `Date` header of its answers); kiosk_time, optional, the kiosk's own clock, "
        "kept for diagnosis. An event older than the kiosk offline window (the server's "
        "SHOPFLOOR_OFFLINE_WINDOW_DAYS, 14 days unless set) or more than 5 minutes ahead of "
        "the server's clock is `rejected` (\"occurred_at: older than the kiosk offline "
        "window ...\", \"occurred_at: more than 5 minutes in the future ...\"), as is one "
        "dated in a closed period; each is kept in the refused events HR can book.\n\n"
        "Supervisors' acts: every remark, claim_decision, reward_handover and alert_ack "
        "carries `proof`, the supervisor's PIN sealed at the kiosk to the server's sealing "
        "key (`keys.sealing_key` from POST /enroll or GET /keys) and bound to the act: its "
        "kind, the supervisor (proof.supervisor is the payload's given_by, decided_by or "
        "handed_by; for alert_ack the event's worker) and a digest of each of its events "
        "(uuid, worker, occurred_at and payload exactly as sent). All events of one act (a "
        "remark to 12 workers is 12 remark events) carry the same proof. Missing, altered, "
        "copied or unopenable proof, a wrong PIN (counted; the fifth locks the supervisor's "
        "acts until HR unlocks them) or a locked supervisor: `rejected` with a reason "
        "starting `proof:`, and the act gives nothing. The proof is not part of the event's "
        "body: resent, the act is `duplicate`. Nobody remarks themselves, decides their own "
        "claim or hands over their own reward.\n\n"
        "What events do: badge_in (a worker's tap) is attendance; with worker null, a badge "
        "that matched no one: payload.card_number (a card's number, upper-case hex; kept at "
        "most 24 h for HR's unknown taps, never stored with the event) or payload.badge_hash "
        "(a QR badge). machine_fault and quality_issue open an alert (GET /alerts), sent to "
        "the site's notification targets; alert_ack (the event's worker, a supervisor of the "
        "alert's workshop; payload {\"alert\": id}) acknowledges it once, and a machine_start"
        " resolves the machine's open faults, recording their downtime. "
        "machine_start/machine_stop pair into run minutes, and output/defect counts add up, "
        "on the worker's kiosk production record for the machine and shift (day 06-18, night "
        "18-06, dated by its start); a record from MES or an import for that day wins over "
        "it. point_claim opens a claim; claim_decision (payload.decided_by) approves or "
        "rejects it; remark (payload.given_by) gives approved points; both need a supervisor "
        "of the worker's workshop, and at most the category's points. training_progress "
        "counts a video complete at 90 % watched; appeal opens an appeal; notice_seen marks "
        "one of the worker's own `tasks.notices` seen (a second report is accepted and "
        "changes nothing). reward_redeem spends the reward's cost (once per uuid; with "
        "payload.entitlement a tier-menu reward at no cost), refused when the balance or "
        "stock is short, the reward retired or tier-restricted, or the entitlement used; "
        "reward_handover (payload.handed_by, a supervisor of the worker's workshop) hands a "
        "pending redemption over; remark_undo takes back a remark this kiosk sent, within 60 "
        "s, once."
    ),
    body=EventBatch, responses={200: ("One result per event", EventResults)},
)
def post_events() -> Response:
    started = time.perf_counter()
    # The token first: a caller without a good one never gets its body read (401). Its
    # contact (last seen, version, queue depth) is written with the batch, once, under
    # the write lock: a write before it would take SQLite's own lock and wait for ours,
    # while the holder of ours waits for SQLite's ("database is locked" after 30 s).
    kiosk = current_kiosk()
    body = parse_body(RawBatch)
    session = db_session()
    config = app_config()
    url = session.get_bind().engine.url
    sqlite = url.get_backend_name() == "sqlite"
    serial: AbstractContextManager[object] = (
        sqlite_writes(url.database or "") if sqlite else nullcontext())
    prepared = prepare(body.events)
    for attempt in range(INGEST_ATTEMPTS):
        try:
            with serial:
                if attempt:  # the rollback took the kiosk's contact back: note it again
                    kiosk = current_kiosk()
                _write_contact(session, kiosk, first=sqlite)
                results = ingest(session, kiosk, prepared, config.zone, keys=server_keys(),
                                 offline_window=config.offline_window)
                session.commit()
            break
        except (IntegrityError, OperationalError) as error:
            session.rollback()
            if attempt == INGEST_ATTEMPTS - 1 or not _retryable(error):
                raise
            time.sleep(random.uniform(0, RETRY_BACKOFF_S * (attempt + 1)))
    instruments().ingested(batch_kinds(body.events, prepared), results,
                           time.perf_counter() - started)
    return jsonify({"results": [r.to_dict() for r in results]})


def _write_contact(session: Session, kiosk: Kiosk, *, first: bool) -> None:
    """Write the contact `current_kiosk` noted on the kiosk (last seen, version, queue
    depth) with one UPDATE, and mark those values stored; other changes to the kiosk, if
    any, are left to the flush.

    `first` (SQLite): written even when unchanged, as the batch's first statement, so the
    transaction holds SQLite's write lock before it reads anything. Batches from other
    server processes then wait for it whole: a supervisor's wrong-PIN count read by two at
    once would otherwise be counted once (a lost update; PostgreSQL locks the row)."""
    state = inspect(kiosk)
    if not first and not any(state.attrs[name].history.added for name in _CONTACT):
        return
    values = {name: getattr(kiosk, name) for name in _CONTACT}
    for name, value in values.items():
        set_committed_value(kiosk, name, value)
    session.connection().execute(_WRITE_CONTACT, {"kiosk": kiosk.id, **values})


def _retryable(error: IntegrityError | OperationalError) -> bool:
    """A unique key that a concurrent batch took first, or a deadlock or serialization
    failure the database resolved by failing this transaction."""
    return isinstance(error, IntegrityError) or (
        getattr(error.orig, "sqlstate", None) in _RETRYABLE)


@operation(
    "POST", "/production", auth="integration",
    summary="Production records from MES/ERP (scope `production`)",
    description="The rows of the production CSV import, checked the same way. Idempotent "
                "on (date, shift, worker_code, machine_code); an MES record replaces one "
                "the server derived from kiosk events.",
    body=ProductionBatch, responses={200: ("What happened to the rows", ProductionReport)},
)
def post_production() -> Response:
    integration = current_integration("production")
    body = parse_body(RawProductionBatch)
    session = db_session()
    report = receive_production(session, body.records, body.skip_bad, integration.name,
                                workshops=token_workshops(integration))
    session.commit()
    return jsonify(report)


@operation(
    "POST", "/metrics", auth="integration",
    summary="Metric values from MES/ERP (scope `metrics`)",
    description="The rows of the metrics import (`import metrics`), checked the same way: "
                "date, shift, worker_code or machine_code, metric (a code HR defined; not a "
                "ratio), value. A machine's value goes to the workers with a production "
                "record on it that date and shift: a `sum` metric split by their run "
                "minutes, any other as it is. Idempotent on (date, shift, worker, metric); "
                "a value from MES replaces one the kiosk counted.",
    body=MetricBatch, responses={200: ("What happened to the rows", MetricReport)},
)
def post_metrics() -> Response:
    integration = current_integration("metrics")
    body = parse_body(RawMetricBatch)
    session = db_session()
    name, workshops = integration.name, token_workshops(integration)
    for attempt in range(INGEST_ATTEMPTS):
        try:
            report = receive_metrics(session, body.records, body.skip_bad, name,
                                     workshops=workshops)
            session.commit()
            break
        except IntegrityError:  # a concurrent batch stored one of these keys first
            session.rollback()
            if attempt == INGEST_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, RETRY_BACKOFF_S * (attempt + 1)))
    return jsonify(report)


@operation("GET", "/openapi.json", summary="This document",
           responses={200: ("The OpenAPI 3.1 document", None)}, content_type="application/json")
def openapi() -> Response:
    return jsonify(openapi_document(__version__))
