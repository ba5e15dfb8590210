"""Services: take a Session and plain values, never `request` or `current_app`.

Errors a caller should show to a person derive from ServiceError:

    ServiceError
     ├── NotFound        a named thing does not exist
     ├── Conflict        the change clashes with what is stored
     └── InvalidInput    a value does not fit (the message names it)
"""


class ServiceError(Exception):
    """Root of the errors services raise for people to read."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass
