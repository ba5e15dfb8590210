"""Devices: kiosks, their tokens, wall displays, the server's identity and the roster."""
