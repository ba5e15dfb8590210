"""Shopfloor kiosk: the pygame program a worker taps a badge on."""

__version__ = "0.1.0"
