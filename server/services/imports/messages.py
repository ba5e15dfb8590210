"""Messages a person reads in their own language: an English text with its message id.

A bad row's reason is a `Message`: a `str` (the English text, which the CLI, the API and
the audit log show as before) that also keeps its message id and values, so the admin
shows it translated (`translated`, or `ImportReport.to_dict(gettext=...)`). Message ids
are marked with `N_` so that `pybabel extract` finds them (server/translations/babel.cfg
reads server/services), as for `Refused` (services/refusals.py). A value that is itself a
Message is translated too; any other value (a file name, a code, a cell) stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from server.services.refusals import N_, Message

__all__ = ["N_", "Gettext", "Message", "joined", "translated"]

Gettext = Callable[[str], str]


def joined(messages: list[Message]) -> Message:
    """Several messages as one, separated by "; " (each translated on its own)."""
    if len(messages) == 1:
        return messages[0]
    return Message(N_("%(first)s; %(rest)s"), first=messages[0], rest=joined(messages[1:]))


def translated(value: object, gettext: Gettext) -> str:
    """`value` in the reader's language when it is a Message (its Message values too);
    other text as it is. A translation that does not fit its values falls back to English.
    """
    if not isinstance(value, Message):
        return str(value)
    params = {key: translated(v, gettext) if isinstance(v, Message) else v
              for key, v in value.params.items()}
    try:
        return gettext(value.text) % params if params else gettext(value.text)
    except (KeyError, TypeError, ValueError):
        return str(value)
