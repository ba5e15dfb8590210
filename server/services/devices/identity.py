"""The server's stable identity (its id in mDNS TXT records and health answers)."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from server.models import Setting

SERVER_ID_KEY = "server_id"


def server_id(session: Session) -> str:
    setting = session.get(Setting, SERVER_ID_KEY)
    if setting is None:
        raise RuntimeError("the database has no server id: run `shopfloor-server init`")
    return setting.value


def ensure_server_id(session: Session) -> str:
    setting = session.get(Setting, SERVER_ID_KEY)
    if setting is None:
        setting = Setting(key=SERVER_ID_KEY, value=secrets.token_hex(8))
        session.add(setting)
        session.flush()
    return setting.value
