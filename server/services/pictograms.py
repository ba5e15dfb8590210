"""The pictograms HR picks for a point category, a reward or a fault/quality reason.

The names are the kiosk's (`kiosk.ui.icons.PICTOGRAM_NAMES`; a test keeps the two lists
equal): the kiosk draws them, the admin shows the copies `python -m kiosk.ui.icons` writes
to server/static/pictograms/<name>.png. A name not in the list is refused with a message
the admin translates.
"""

from __future__ import annotations

from server.services.refusals import N_, Refused

PICTOGRAMS: tuple[str, ...] = (
    # deeds a remark or a claim is for
    "medal", "star", "helmet", "broom", "lightbulb", "wrench", "hand_help", "clock",
    "training_done", "team", "check", "output", "quality_issue",
    # rewards
    "gift", "cash", "coin", "rice_bowl", "movie_ticket", "phone_card", "day_off", "drink",
    # why a machine stopped or a part is bad
    "machine_fault", "gear_jam", "no_power", "material_shortage", "burr", "leak", "scratch",
    "size_wrong", "overheat", "defect", "other",
)

DEFAULT_CATEGORY = "medal"
DEFAULT_REWARD = "gift"
DEFAULT_REASON = "other"


class UnknownPictogram(Refused):
    """A name that is not one of the pictures HR picks from."""


def checked(name: str | None, default: str) -> str:
    """`name` when it is one of PICTOGRAMS, `default` when empty; UnknownPictogram else."""
    name = (name or "").strip()
    if not name:
        return default
    if name not in PICTOGRAMS:
        raise UnknownPictogram(N_("“%(name)s” is not one of the pictures; choose one of "
                                  "those shown."), name=name[:40])
    return name


def static_path(name: str) -> str:
    """The picture's path under the server's static folder."""
    return f"pictograms/{name}.png"
