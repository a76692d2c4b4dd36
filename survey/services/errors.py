"""Errors a person can act on, raised by services and models; no Flask here.

The web pages translate them into an error page in one place (``survey.errors``), the commands
into a message and exit status 1 in one place (``survey.commands.common``). Each message says
what is wrong, in words a survey manager or a stakeholder understands.
"""

from __future__ import annotations


class Assure360Error(Exception):
    """Base for errors a person can act on; the message says what is wrong."""


class InputError(Assure360Error, ValueError):
    """Input (a file, a form, a command option) that cannot be used as it is."""


class NotFound(Assure360Error, LookupError):
    """A thing named by the caller does not exist."""


class DeadLink(Assure360Error):
    """A survey link that is unknown, tampered with, revoked, replaced or past its round."""


class AlreadySubmitted(Assure360Error):
    """The invitation's response was already stored; nothing more is accepted on its link."""


class RoundStateError(Assure360Error):
    """A round was asked to move to a state it cannot reach from where it is."""


class NotAllowed(Assure360Error):
    """The account may see this, but its role does not let it make this change."""
