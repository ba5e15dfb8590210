"""Issue 15's probe, replayed from outside against a real `shopfloor-server run` on each
engine: with nothing but a kiosk's token, backdated output and remarks naming a real
supervisor used to move a worker to the top of the board. Now each attack is answered
`rejected` with its reason, and the worker's card and points do not move; an act sealed
with the supervisor's PIN at a kiosk counts, once.

Raw HTTPS requests with kiosk K1's token (the API factory, tests/support/factory.py),
over the server's pinned certificate as a kiosk sends them; proofs are made the way a
kiosk makes them (tests/support/seals.py) with the server's own sealing key, read from
its data folder, unless the attack is to forge one.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from server.db import make_engine, make_sessionmaker
from server.models import Role, Worker, Workshop
from server.services.devices.keys import ServerKeys, load_keys
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.setup import initialise
from shopfloor_trust.seal import seal_pin
from support.factory import SUPERVISOR_PIN, bearer, build_factory, make_event, pin_fields
from support.live_server import LiveServer
from support.postgres import PrivateCluster
from support.seals import digest, proof, seal_one, sealed

ENGINES = [e for e in os.environ.get("SHOPFLOOR_TEST_ENGINES", "sqlite,postgresql").split(",")
           if e]
LOCKABLE, LOCKABLE_PIN = "S002", "864200"  # a second W1 supervisor, for the lock
RACED, RACED_PIN = "S003", "864211"  # and a third, guessed at in parallel
WRONG_PIN = "000000"
OLD = ("occurred_at: older than the kiosk offline window (14 days); HR can book it from the "
       "refused events")
REQUIRED = "proof: required: a supervisor's act needs their PIN, sealed at the kiosk"
NOT_THIS_EVENT = "proof: not made for this event"


@dataclass
class Site:
    server: LiveServer
    token: str
    keys: ServerKeys
    more_tokens: list[str]  # of other kiosks of workshop W1

    def post(self, *events: dict[str, Any], token: str | None = None) -> list[dict[str, Any]]:
        with httpx.Client(base_url=self.server.url, verify=self.server.verify, timeout=30,
                          headers=bearer(token or self.token)) as client:
            response = client.post("/api/v1/events", json={"events": list(events)})
        assert response.status_code == 200, response.text[:300]
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def get(self, path: str) -> dict[str, Any]:
        with httpx.Client(base_url=self.server.url, verify=self.server.verify, timeout=30,
                          headers=bearer(self.token)) as client:
            response = client.get(path)
        assert response.status_code == 200, response.text[:300]
        answer: dict[str, Any] = response.json()
        return answer

    def standing(self, code: str = "W001", day: str | None = None) -> tuple[Any, ...]:
        """What the attacks are after: the worker's card (this month's, or the month of
        `day`) and points."""
        query = "period=month" + (f"&date={day}" if day else "")
        card = self.get(f"/api/v1/workers/{code}/scorecard?{query}")
        return (card["total"], card["rank"], card["point_entries_total"],
                self.get(f"/api/v1/workers/{code}/points")["balance"])


def _database(engine: str, request: pytest.FixtureRequest, folder: Path
              ) -> Generator[str, None, None]:
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'shopfloor.db'}"
        return
    cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
    with cluster.migrated_database("v") as url:
        yield url


@pytest.fixture(scope="module", params=ENGINES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"acts-{request.param}")
    databases = _database(request.param, request, folder)
    url = next(databases)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            initialise(engine, session, "admin password 1")
            token = build_factory(session).kiosk_token
            w1 = session.scalars(select(Workshop).where(Workshop.code == "W1")).one()
            session.add_all(Worker(code=code, name="主管", workshop=w1, role=Role.SUPERVISOR,
                                   **pin_fields(code, pin))
                            for code, pin in ((LOCKABLE, LOCKABLE_PIN), (RACED, RACED_PIN)))
            more = [enroll(session, add_kiosk(session, f"W1-{n}", ["W1"], "test").code)[1]
                    for n in range(4)]
            session.commit()
    finally:
        engine.dispose()
    keys = load_keys(folder)  # made here first; the server loads the same
    server = LiveServer(folder, env={"SHOPFLOOR_DATABASE_URL": url}, workers=2)
    server.start()
    try:
        yield Site(server, token, keys, more)
    finally:
        server.stop()
        databases.close()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _remark(worker: str = "W001", points: float = 10, by: str = "S001") -> dict[str, Any]:
    return make_event("remark", worker=worker, occurred_at=_now(), payload={
        "category": "fault_fix", "points": points, "given_by": by})


def test_backdated_output_is_refused_and_moves_nothing(site: Site) -> None:
    back = _now() - timedelta(days=40)
    before = site.standing(day=back.date().isoformat())
    flood = [make_event("output", occurred_at=back + timedelta(minutes=i),
                        payload={"machine": "M1", "count": 100_000}) for i in range(50)]
    flood.append(make_event("output", occurred_at="2000-01-03T08:00:00+08:00",
                            payload={"machine": "M1", "count": 100_000}))
    results = site.post(*flood)
    assert {(r["status"], r["reason"]) for r in results} == {("rejected", OLD)}
    assert site.standing(day=back.date().isoformat()) == before
    ahead = make_event("output", occurred_at=_now() + timedelta(hours=1),
                       payload={"machine": "M1", "count": 100_000})
    assert site.post(ahead)[0]["reason"] == ("occurred_at: more than 5 minutes in the "
                                             "future; check the kiosk's clock")


def test_remarks_naming_a_supervisor_without_their_pin_move_nothing(site: Site) -> None:
    before = site.standing()
    unsealed = [_remark() for _ in range(20)]
    assert {r["reason"] for r in site.post(*unsealed)} == {REQUIRED}

    event = _remark()
    stranger = X25519PrivateKey.generate().public_key().public_bytes_raw()
    foreign = {**event, "proof": seal_pin("1234", stranger, "remark", "S001", [digest(event)])}
    garbled = _remark()
    garbled["proof"] = {**proof(site.keys, SUPERVISOR_PIN, [garbled]),
                        "ct": base64.b64encode(os.urandom(32)).decode()}
    assert [r["reason"] for r in site.post(foreign, garbled)] == [
        "proof: key: sealed to another server's key; enrol the kiosk with this server",
        "proof: does not open for this act (altered, or made for another act)"]
    assert site.standing() == before


def test_a_proof_moved_to_another_event_or_an_altered_one_moves_nothing(site: Site) -> None:
    real = seal_one(site.keys, SUPERVISOR_PIN, _remark("W002", points=1))
    assert site.post(real)[0]["status"] == "accepted"
    before = site.standing()
    copied = {**_remark(), "proof": real["proof"]}  # another event, the same proof
    replayed = {**real, "uuid": str(uuid.uuid4())}  # the same act on a new uuid
    richer = {**real, "uuid": str(uuid.uuid4()), "worker": "W001",
              "payload": {**real["payload"], "points": 10}}
    results = site.post(copied, replayed, richer)
    assert [r["reason"] for r in results] == [NOT_THIS_EVENT] * 3
    # an altered event listed in the proof: the seal, bound to the list, no longer opens
    pending = _remark(points=2)
    sealed_act = seal_one(site.keys, SUPERVISOR_PIN, pending)
    altered = {**sealed_act, "payload": {**pending["payload"], "points": 10}}
    altered["proof"] = {**sealed_act["proof"], "items": [digest(altered)]}
    assert site.post(altered)[0]["reason"] == ("proof: does not open for this act (altered, "
                                               "or made for another act)")
    assert site.standing() == before


def test_wrong_pins_lock_the_supervisor_even_against_the_right_one(site: Site) -> None:
    before = site.standing()
    reasons = [site.post(seal_one(site.keys, WRONG_PIN, _remark(by=LOCKABLE)))[0]["reason"]
               for _ in range(5)]
    locked = (f"proof: {LOCKABLE}'s acts are locked after 5 wrong PINs; HR can unlock them "
              f"in the admin (PIN locks)")
    assert reasons == [f"proof: wrong PIN for {LOCKABLE} ({n} tries left before a lock)"
                       for n in (4, 3, 2, 1)] + [locked]
    right = seal_one(site.keys, LOCKABLE_PIN, _remark(by=LOCKABLE))
    assert site.post(right) == [{"uuid": right["uuid"], "status": "rejected", "reason": locked}]
    assert site.standing() == before


def test_guesses_sent_in_parallel_are_each_counted(site: Site) -> None:
    """Twelve wrong PINs at once from five kiosks of the workshop, over several connections
    and server processes: each is counted, so four are told how many tries are left and the
    rest that the acts are locked; none slips past the count."""
    tokens = [site.token, *site.more_tokens]
    guesses = [(seal_one(site.keys, f"{n:06d}", _remark(by=RACED)), tokens[n % len(tokens)])
               for n in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = pool.map(lambda guess: site.post(guess[0], token=guess[1]), guesses)
        reasons = [answer[0]["reason"] for answer in answers]
    tries = sorted(r for r in reasons if "tries left" in r)
    assert tries == [f"proof: wrong PIN for {RACED} ({n} tries left before a lock)"
                     for n in (1, 2, 3, 4)], reasons
    right = seal_one(site.keys, RACED_PIN, _remark(by=RACED))
    assert "are locked after 5 wrong PINs" in site.post(right)[0]["reason"]


def test_nobody_decides_their_own_claim(site: Site) -> None:
    claim = make_event("point_claim", worker="S001", occurred_at=_now(),
                       payload={"category": "help_colleague"})
    decision = seal_one(site.keys, SUPERVISOR_PIN, make_event(
        "claim_decision", worker=None, occurred_at=_now(),
        payload={"claim": claim["uuid"], "decision": "approve", "decided_by": "S001"}))
    assert [r.get("reason") for r in site.post(claim, decision)] == [
        None, "payload.decided_by: a supervisor cannot decide their own claim"]
    assert site.standing("S001")[3] == 0


def test_a_sealed_remark_to_several_workers_counts_once(site: Site) -> None:
    before = {code: site.standing(code) for code in ("W001", "W002")}
    act = sealed(site.keys, SUPERVISOR_PIN, [_remark("W001", 3), _remark("W002", 3)])
    assert [r["status"] for r in site.post(*act)] == ["accepted", "accepted"]
    assert [r["status"] for r in site.post(*act)] == ["duplicate", "duplicate"]
    for code in ("W001", "W002"):
        assert site.standing(code)[3] == before[code][3] + 3
