"""Shopfloor kiosk: the pygame program a worker taps a badge on."""

import os

__version__ = "0.1.0"

# pygame prints a banner on import; the kiosk's stdout carries JSON log lines only.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
