"""One list of event kinds: the StrEnum, which the validating models and KINDS follow."""

from typing import get_args

from server.services.events.kinds import COUNT_KINDS, KINDS, RUN_KINDS, EventIn, EventKind


def test_every_kind_has_exactly_one_model() -> None:
    union = get_args(get_args(EventIn)[0])
    kinds = [get_args(model.model_fields["kind"].annotation)[0] for model in union]
    assert sorted(kinds) == sorted(kind.value for kind in EventKind)
    assert tuple(kind.value for kind in EventKind) == KINDS


def test_production_kinds_are_kinds() -> None:
    assert set(RUN_KINDS) | set(COUNT_KINDS) <= set(KINDS)
    assert EventKind.OUTPUT == "output"  # a StrEnum compares equal to what is stored
