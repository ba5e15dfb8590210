"""Services: take a Session and plain values, never `request` or `current_app`.

The domains (docs/ARCHITECTURE.md): people, devices, events, production, points, training,
scores, reports; beside them audit, security, images, imports, setup, backup and encryption.

Errors a caller should show to a person derive from ServiceError; server/errors.py maps
each to an HTTP status. The whole tree:

    ServiceError                    (raised bare: no scheme in force, a PDF font missing)
     ├── NotFound                   a named thing does not exist                       404
     ├── Conflict                   the change clashes with what is stored             409
     ├── InvalidInput               a value does not fit (the message names it)        422
     │    ├── Refused               refusals: a file refused for its size, shape or kind
     │    │    ├── Unplayable       training/probe: an upload no decoder can play
     │    │    └── UnknownPictogram pictograms: a picture name not in the kiosk's set
     │    └── PackRefused           voice_packs: an upload refused, every problem named
     ├── Unauthenticated            devices/tokens: no token, or a wrong or revoked one 401
     ├── Forbidden                  devices/tokens: a token of the wrong kind or place 403
     ├── LoginRefused               people/users: a wrong user name or password
     │    ├── LoginThrottled        failed too often: try again in N s (no check made)
     │    └── LoginBusy             every password check slot is taken (no check made)
     └── BackupError                backup: a backup or restore that cannot go on

Errors that never leave their module: events.effects.Rejected (one event refused, told
back in the batch's results), production.records.FieldError (one bad field of a row,
gathered into InvalidInput). The scoring engine's SchemeError (server/scoring/schemes.py)
is turned into InvalidInput where a scheme is imported.
"""


class ServiceError(Exception):
    """Root of the errors services raise for people to read."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass
