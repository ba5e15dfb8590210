"""The kiosk's self-check of its readers: every badge reader and camera it found.

``shopfloor-kiosk run`` logs it once at start as the ``readers`` line (the PC/SC readers
pcscd knows, by name; the keyboard-wedge card readers by name and USB ``VID:PID``, grabbed
or why not; the cameras), and ``shopfloor-kiosk status --json`` shows it under
``readers``, listing every keyboard-like input device so a technician can find a reader's
``VID:PID`` for ``--card-reader``.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

from kiosk.hardware.wedge import WedgeReaders, input_nodes, is_card_reader


def pcsc_readers() -> tuple[list[str], str | None]:
    """The PC/SC readers' names, and why none could be listed (no pcscd, no pyscard)."""
    try:
        from smartcard import scard
    except ImportError as exc:
        return [], f"pyscard: {exc}"
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return [], str(scard.SCardGetErrorMessage(hresult))
    try:
        hresult, names = scard.SCardListReaders(context, [])
    finally:
        scard.SCardReleaseContext(context)
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return [], None
    if hresult != scard.SCARD_S_SUCCESS:
        return [], str(scard.SCardGetErrorMessage(hresult))
    return list(names), None


def _pcsc() -> dict[str, Any]:
    names, error = pcsc_readers()
    return {"pcsc": names, **({"pcsc_error": error} if error else {})}


def running(wedge: WedgeReaders, cameras: list[str]) -> dict[str, Any]:
    """What the running kiosk found: the ``readers`` line."""
    return {**_pcsc(), "wedge": wedge.found(), "cameras": cameras}


def installed(configured: Collection[tuple[int, int]], cameras: list[str]) -> dict[str, Any]:
    """What ``status`` finds without the kiosk running: every keyboard-like input device,
    whether the kiosk would read it as a card reader, and whether this user may open it."""
    keyboards = [{"name": node.name, "usb": node.usb, "path": node.path,
                  "card_reader": is_card_reader(node, configured),
                  "readable": os.access(node.path, os.R_OK)}
                 for node in input_nodes() if node.keyboard]
    return {**_pcsc(), "wedge": keyboards, "cameras": cameras}
