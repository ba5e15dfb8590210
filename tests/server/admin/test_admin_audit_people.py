"""The audit log refers to workers and users by id, never by name, code or photo, so a
later erasure of someone's data never has to rewrite chained history; the admin's audit
page shows who an entry is about by today's code and name. On both engines."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Language, Role, User, UserRole, Worker
from server.services.audit import verify_chain
from server.services.imports import import_production, import_workers
from server.services.people import badges
from server.services.people import workers as people
from server.services.setup import add_user
from support.factory import Plant

PERSONAL = ("A001", "A002", "N001", "张三", "李四", "新人", "张三丰", "photos/")


def test_changes_to_people_are_audited_by_id_and_shown_by_name(
    app: Flask, session: Session, plant: Plant,
    login_as: Callable[[str | None], FlaskClient]
) -> None:
    since = session.scalar(select(func.max(AuditEntry.id))) or 0
    data_dir = app.config["SHOPFLOOR"].data_dir
    import_workers(session, "code,name,workshop,role,language\nA001,张三丰,W1,worker,zh_CN\n"
                   "A002,李四,W2,worker,zh_CN\nA009,新人乙,W1,worker,en\n".encode(),
                   "w.csv", actor="hr")
    form = people.WorkerForm(code="N001", name="新人", workshop="W1", role=Role.WORKER,
                             language=Language.ZH_CN)
    people.create_worker(session, form, "user:admin")
    people.update_worker(session, "N001", people.WorkerForm(
        code="N001", name="新人甲", workshop="W2", role=Role.WORKER, language=Language.EN),
        "user:admin")
    people.set_active(session, "N001", False, "user:admin")
    picture = io.BytesIO()
    Image.new("RGB", (40, 40), "orange").save(picture, "PNG")
    people.save_photo(session, "A001", picture.getvalue(), data_dir / "photos", "user:admin")
    badges.assign_card(session, app.extensions["shopfloor.keys"], "A001", "04A1B2C3",
                       "user:admin")
    import_production(session, b"date,shift,worker_code,machine_code,planned_minutes,"
                      b"run_minutes,output,defects\n2026-03-02,A,A001,M1,480,450,900,10\n",
                      "p.csv", actor="hr")
    session.commit()

    entries = session.scalars(select(AuditEntry).where(AuditEntry.id > since)).all()
    actions = {e.action for e in entries}
    assert {"workers.import", "worker.update", "worker.create", "worker.deactivate",
            "worker.photo", "badge.assign", "production.upsert"} <= actions
    held = json.dumps([[e.entity_id, e.before, e.after] for e in entries],
                      ensure_ascii=False)
    assert not [word for word in PERSONAL if word in held], held
    a001 = session.scalars(select(Worker).where(Worker.code == "A001")).one()
    photo = next(e for e in entries if e.action == "worker.photo")
    assert (photo.entity_id, photo.after) == (str(a001.id), {"photo": True})
    renamed = next(e for e in entries if e.action == "worker.update"
                   and e.entity_id == str(a001.id))
    assert renamed.after is not None and renamed.after["name_changed"] is True
    assert verify_chain(session).ok

    page = login_as("admin").get("/admin/audit").get_data(as_text=True)
    assert f"worker {a001.id}: A001 张三丰" in page  # resolved at display time


def test_a_new_web_user_is_audited_by_id(app: Flask, session: Session, plant: Plant) -> None:
    user = add_user(session, "wang.fang", UserRole.VIEWER, "a long password 1", "cli")
    session.commit()
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and (entry.action, entry.entity_id) == ("user.create",
                                                                      str(user.id))
    assert session.get(User, user.id) is not None
