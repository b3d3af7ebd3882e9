"""What goes wrong with a broadcast, as the pages, the API and the CLI catch it."""
from __future__ import annotations


class BroadcastError(ValueError):
    """Invalid input or a state change that is not allowed; the message says which."""


class NotFound(LookupError):
    pass


class Invalid(BroadcastError):
    """A draft the validator refuses: which field, a message key the pages translate (with its params),
    and an English message for the API and the CLI (str(exc))."""

    def __init__(self, field: str, key: str, message: str, **params):
        super().__init__(message)
        self.field, self.key, self.params = field, key, params
