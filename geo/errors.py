"""The small family of errors the planner raises for bad input.

Every error a user can cause inherits from both :class:`PlannerError` and
``ValueError`` so callers can catch the package's errors specifically or treat
them as ordinary value errors. Messages name the file, row, column or argument,
what was expected and what was found.

This module imports nothing from geo: an error that carries a payload lives next to the
payload's type (``UploadRejectedError`` in :mod:`geo.ingest.report`,
``SaveConflictError`` in :mod:`geo.workspace.store`).
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base class for every error the planner raises on purpose."""


class PlannerInputError(PlannerError, ValueError):
    """Input that does not meet the planner's contract (a user can fix it)."""


class DataFileError(PlannerInputError):
    """A data file is missing, unreadable or malformed."""


class InfeasibleRequestError(PlannerInputError):
    """An optimisation request that cannot be met, refused before solving."""


class NetworkError(PlannerInputError):
    """A road network that cannot be routed on as given."""


class UploadError(DataFileError):
    """An uploaded file that cannot be read as what it claims to be."""


class UnsafeUploadError(UploadError):
    """An upload refused for safety: too big, or an archive that could harm the server."""


class DatasetError(DataFileError):
    """A data folder or dataset version that cannot be used as asked."""
