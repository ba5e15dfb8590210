"""The displays page: how a wall names workers is chosen per display, masked by default,
changed by an admin only, and audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Display, NameStyle
from support.factory import Plant


@pytest.fixture
def client(app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient]
           ) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def _display(session: Session, name: str) -> Display:
    session.expire_all()
    return session.scalars(select(Display).where(Display.name == name)).one()


def test_a_new_display_masks_names_unless_told_otherwise(client: FlaskClient,
                                                         session: Session) -> None:
    page = client.get("/admin/displays").get_data(as_text=True)
    assert 'name="names"' in page and 'value="masked" selected' in page
    client.post("/admin/displays", data={"name": "TV-a", "workshop": "W1",
                                         "language": "zh_CN"})
    client.post("/admin/displays", data={"name": "TV-b", "workshop": "W1",
                                         "language": "zh_CN", "names": "code"})
    assert _display(session, "TV-a").names is NameStyle.MASKED
    assert _display(session, "TV-b").names is NameStyle.CODE


def test_an_admin_changes_it_and_the_change_is_audited(
        client: FlaskClient, session: Session,
        login_as: Callable[[str | None], FlaskClient]) -> None:
    client.post("/admin/displays", data={"name": "TV-c", "workshop": "W1",
                                         "language": "zh_CN"})
    assert client.post("/admin/displays/TV-c/names", data={"names": "full"}).status_code == 302
    assert _display(session, "TV-c").names is NameStyle.FULL
    refused = client.post("/admin/displays/TV-c/names", data={"names": "everything"},
                          follow_redirects=True)
    assert "everything" in refused.get_data(as_text=True)
    assert _display(session, "TV-c").names is NameStyle.FULL
    viewer = login_as("view1")
    assert viewer.post("/admin/displays/TV-c/names", data={"names": "code"}).status_code == 403
    assert _display(session, "TV-c").names is NameStyle.FULL
    assert client.post("/admin/displays/NOPE/names", data={"names": "full"}).status_code in (
        302, 404)
    changes = session.scalars(select(AuditEntry).where(AuditEntry.action == "display.names"))
    assert [(a.before, a.after) for a in changes] == [({"names": "masked"}, {"names": "full"})]
