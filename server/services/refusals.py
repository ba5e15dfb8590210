"""Refusals a person reads in their own language: an English message id and its values.

Services speak English. A file refused for what it is (a workbook too big to open, a
picture of too many pixels, a file that is no video the kiosks play) raises `Refused`,
whose `text` is an English message id marked with `N_` so that `pybabel extract` puts it
in the catalogue (server/translations/babel.cfg reads server/services), and whose
`params` fill its `%(name)s` places. The admin shows `gettext(text) % params`; the API
and the CLI show the English `str(error)`.

A bad row's reason (imports, the production feed) is a `Message`: a `str` (the English
text, as before) that keeps its message id and values for the admin to translate
(`server/services/imports/messages.py`, `translated`).
"""

from __future__ import annotations

from server.services import InvalidInput


def N_(text: str) -> str:
    """Marks a message id for the catalogue; the text itself is unchanged."""
    return text


class Refused(InvalidInput):
    """A file refused for its size, shape or kind; the message says why and what to do."""

    def __init__(self, text: str, **params: object) -> None:
        super().__init__(text % params)
        self.text = text
        self.params = params


class Message(str):
    """An English message (`str(message)`) with its message id `text` and `params`."""

    text: str
    params: dict[str, object]

    def __new__(cls, text: str, /, **params: object) -> Message:
        message = super().__new__(cls, text % params if params else text)
        message.text, message.params = text, params
        return message

    def __reduce__(self) -> tuple[object, ...]:  # copies and pickles keep the id
        return (_rebuild, (self.text, self.params))


def _rebuild(text: str, params: dict[str, object]) -> Message:
    return Message(text, **params)
