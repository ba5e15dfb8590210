"""server/errors.py: one table from ServiceError to HTTP status, with no silent default.

Every subclass of ServiceError that the services define answers through an entry of its
own or of a listed base; a new direct subclass without an entry fails here rather than
answering the root's 409 in production.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

import pytest
from flask import Flask

import server.services
from server.errors import STATUS, service_error_response, service_status
from server.services import Conflict, InvalidInput, NotFound, ServiceError
from server.services.devices.tokens import Forbidden, Unauthenticated


def _service_modules() -> list[str]:
    names = ["server.services"]
    for info in pkgutil.walk_packages(server.services.__path__, "server.services."):
        importlib.import_module(info.name)
        names.append(info.name)
    return names


SERVICE_MODULES = _service_modules()


def _subclasses(cls: type[ServiceError]) -> set[type[ServiceError]]:
    found: set[type[ServiceError]] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def _defined_in_server(cls: type) -> bool:
    return cls.__module__ == "server" or cls.__module__.startswith("server.")


def _nearest_listed(cls: type[ServiceError]) -> type[ServiceError]:
    return next(base for base in cls.__mro__ if base in STATUS)


def test_the_services_were_all_imported() -> None:
    # A walk that found nothing would make the tests below pass on an empty list.
    assert {"server.services.devices.tokens", "server.services.people.users",
            "server.services.backup", "server.services.training.probe"} <= set(SERVICE_MODULES)


def test_every_service_error_maps_through_an_entry_of_its_own_or_a_listed_base() -> None:
    errors = {cls for cls in _subclasses(ServiceError)
              if cls.__module__.startswith("server.services")}
    assert errors, "no ServiceError subclass found under server/services"
    unlisted = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in errors
                      if _nearest_listed(cls) is ServiceError)
    assert not unlisted, ("these answer as a bare ServiceError; give them (or a base) an "
                          "entry in server.errors.STATUS: " + ", ".join(unlisted))


def test_every_direct_subclass_of_service_error_has_an_entry() -> None:
    direct = [cls for cls in ServiceError.__subclasses__() if _defined_in_server(cls)]
    missing = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in direct
                     if cls not in STATUS)
    assert not missing, "no entry in server.errors.STATUS for: " + ", ".join(missing)
    assert ServiceError in STATUS  # raised bare, too


def test_the_table_lists_only_service_errors() -> None:
    assert all(issubclass(cls, ServiceError) for cls in STATUS)
    assert all(400 <= status < 500 and code for status, code in STATUS.values())


@pytest.mark.parametrize(("kind", "status", "code"), [
    (ServiceError, 409, "unavailable"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (InvalidInput, 422, "invalid_input"),
    (Unauthenticated, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
])
def test_the_api_answers_the_statuses_it_always_did(kind: type[ServiceError], status: int,
                                                     code: str) -> None:
    assert service_status(kind) == (status, code)


def test_a_subclass_answers_as_its_nearest_listed_base(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    class NoSuchShift(NotFound):
        pass

    class Unplayable(InvalidInput):  # the probe's, reached through InvalidInput
        pass

    with caplog.at_level(logging.WARNING, logger="server.errors"):
        assert service_status(NoSuchShift) == (404, "not_found")
        assert service_status(Unplayable) == (422, "invalid_input")
    assert not caplog.records


def test_an_unlisted_direct_subclass_is_logged_not_silent(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    class Forgotten(ServiceError):
        pass

    with caplog.at_level(logging.WARNING, logger="server.errors"):
        assert service_status(Forgotten) == STATUS[ServiceError]
    assert "Forgotten has no entry" in caplog.text


def test_the_response_is_the_one_error_shape() -> None:
    app = Flask(__name__)
    with app.app_context():
        response = service_error_response(Unauthenticated("no token"))
        assert response.status_code == 401
        assert response.get_json() == {"error": {"code": "unauthorized",
                                                 "message": "no token"}}
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="shopfloor"'
        refused = service_error_response(Conflict("taken"))
        assert refused.status_code == 409 and "WWW-Authenticate" not in refused.headers
