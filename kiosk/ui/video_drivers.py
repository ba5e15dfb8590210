"""Which SDL video drivers the kiosk tries for its window, in order, read from where it runs.

SDL picks one driver and gives up when that driver cannot open a window, and the one that
works depends on the machine: under cage, SDL 2's native Wayland driver connects but cannot
give the kiosk a window surface ("Window framebuffer support not available": it has no
software framebuffer of its own, and its GL one is off unless SDL_FRAMEBUFFER_ACCELERATION
turns it on, see kiosk/ui/window.py), while its x11 driver through cage's Xwayland works.
So the kiosk tries each candidate in turn (kiosk/ui/window.py) and logs which one opened
the window.
"""

from __future__ import annotations

from collections.abc import Mapping


def candidates(environ: Mapping[str, str]) -> list[str]:
    """The drivers to try, best first, each once.

    An operator's SDL_VIDEODRIVER (SDL reads a comma-separated list) comes first, but is
    no longer the only one: the unit file may name a driver this machine cannot use. Then
    what the session offers: a Wayland compositor (and its Xwayland, when DISPLAY says one
    runs; cage sets DISPLAY only then), an X server, or with neither the bare screen
    through KMS/DRM.
    """
    chosen = [name.strip().lower() for name in environ.get("SDL_VIDEODRIVER", "").split(",")]
    if environ.get("WAYLAND_DISPLAY"):
        found = ["wayland", "x11"] if environ.get("DISPLAY") else ["wayland"]
    elif environ.get("DISPLAY"):
        found = ["x11"]
    else:
        found = ["kmsdrm"]
    return list(dict.fromkeys(name for name in [*chosen, *found] if name))
