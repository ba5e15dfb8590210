"""Run inside a namespace: browse for Shopfloor servers as the kiosk does and check the
ones named NAME... against a pin. Prints one JSON object a line:
``{"name", "url", "server_id", "verified"}``.

    python ns_probe.py INTERFACE SERVER_ID CERT_PEM_FILE NAME_PREFIX
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kiosk.link.discovery import candidates
from kiosk.link.locate import Pin, verify


def main() -> int:
    interface, server_id, cert, prefix = sys.argv[1:5]
    pin = Pin(server_id, Path(cert).read_text())
    for candidate in candidates([interface], timeout_s=8.0):
        if (candidate.name or "").startswith(prefix):
            print(json.dumps({"name": candidate.name, "url": candidate.url,
                              "server_id": candidate.server_id,
                              "verified": verify(candidate.url, pin)}), flush=True)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
