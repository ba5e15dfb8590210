"""The round-running thread (kiosk/background/rounds.py) guards its own callback: a round
that raises is logged and the next round still comes."""

from __future__ import annotations

import logging
import threading

import pytest

from kiosk.background.rounds import Rounds


def test_a_round_that_raises_does_not_stop_the_next(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    second = threading.Event()

    def round_then_delay() -> float:
        calls.append(len(calls) + 1)
        if len(calls) == 1:
            raise ValueError("a bug in the first round")
        second.set()
        return 60.0

    rounds = Rounds("test-rounds", round_then_delay, retry_s=0.01)
    with caplog.at_level(logging.ERROR, logger="kiosk.background.rounds"):
        rounds.start()
        try:
            assert second.wait(5), "the thread died with the first round"
        finally:
            rounds.stop()
    assert calls == [1, 2]
    failed = [r for r in caplog.records if r.name == "kiosk.background.rounds"]
    assert len(failed) == 1 and failed[0].exc_info is not None
    assert "test-rounds" in failed[0].getMessage()
    assert isinstance(failed[0].exc_info[1], ValueError)


def test_a_failed_round_waits_retry_s() -> None:
    def broken() -> float:
        raise RuntimeError("always")

    rounds = Rounds("test-rounds", broken, retry_s=7.5)
    assert rounds.run_round() == 7.5
