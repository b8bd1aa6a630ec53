"""User-facing errors.

Every problem a user can cause (a missing frame, a mask of the wrong size, a checkpoint that does not fit)
is raised as :class:`CorrlearnError` with a one-line message that names the file and what is wrong. The CLI
prints that line and exits with status 2 instead of showing a traceback.
"""

from __future__ import annotations


class CorrlearnError(Exception):
    """An error caused by the user's input, reported as one line."""
