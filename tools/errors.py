"""The one base class of problems a person can fix: shown as a message, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the person can fix (a missing index, a bad file, an unknown thread).

    Every error type that names such a problem derives from this class, so the
    command line and the web API recognise it by type, whatever it is called.
    """
