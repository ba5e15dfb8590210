"""The login throttle's numbers: free typos, doubling delays with their caps, decay, and
rows that are forgotten; counted in the database, where every worker process sees them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import LoginThrottle, utcnow
from server.services.people import throttle


def test_delays_double_after_the_free_failures_up_to_each_cap() -> None:
    seconds = [throttle.delay(n, throttle.ADDRESS_CAP).total_seconds() for n in range(1, 14)]
    assert seconds == [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert throttle.delay(1000, throttle.USER_CAP) == throttle.USER_CAP == timedelta(seconds=30)


def test_an_ipv6_client_counts_by_its_64_and_names_are_kept_only_as_digests() -> None:
    one, _ = throttle.keys_for("2001:db8:1:2::10", "admin")
    other, user = throttle.keys_for("2001:db8:1:2:ffff::99", "admin")
    assert one == other
    assert throttle.keys_for("2001:db8:1:3::10", "x")[0] != one
    assert throttle.keys_for("::ffff:10.0.0.2", "x")[0] == throttle.keys_for("10.0.0.2", "x")[0]
    assert "admin" not in user.key and len(user.key) <= 80


def test_counts_decay_and_old_rows_are_forgotten(session: Session) -> None:
    keys = throttle.keys_for("10.0.0.7", "someone")
    now = utcnow()
    for _ in range(6):
        throttle.note_failure(session, keys, now)
    assert throttle.wait(session, keys, now) == 8
    assert throttle.wait(session, keys, now + timedelta(seconds=8)) == 0

    later = now + 2 * throttle.HALF_LIFE  # 6 failures, halved twice: 1, so the next is 2
    throttle.note_failure(session, keys, later)
    assert throttle.wait(session, keys, later) == 0
    throttle.note_failure(session, keys, later)
    assert throttle.wait(session, keys, later) == 1

    throttle.note_failure(session, throttle.keys_for("10.0.0.8", "another"),
                          later + throttle.FORGET + timedelta(seconds=1))
    session.commit()
    assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 2

    throttle.clear(session, keys)
    assert throttle.wait(session, keys, later) == 0
