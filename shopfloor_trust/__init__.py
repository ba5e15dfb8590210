"""What the kiosk and the server must compute alike, so that neither takes the other's word:
the keyed digest of a card number (`cards`) and the seal of a supervisor's PIN (`seal`).

Standard library and `cryptography` only: the kiosk and the server both import it, and
neither imports the other (tests/test_architecture.py).
"""
