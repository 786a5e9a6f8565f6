"""The small family of errors the planner raises for bad input.

Every error a user can cause inherits from both :class:`PlannerError` and
``ValueError`` so callers can catch the package's errors specifically or treat
them as ordinary value errors. Messages name the file, row, column or argument,
what was expected and what was found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.scenarios import ScenarioContent
    from geo.store import ScenarioVersion
    from geo.validate import ValidationReport


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


class UploadRejectedError(DataFileError):
    """A whole upload refused because its validation report has errors or unaccepted warnings."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


class DatasetError(DataFileError):
    """A data folder or dataset version that cannot be used as asked."""


class SaveConflictError(PlannerError):
    """Someone else saved a scenario after the version this save started from.

    Nothing is lost: `attempted` holds the content that was not saved (save it as a
    new scenario, or re-apply it on top of the newer version), and `current` holds
    the newer version that won (None if the scenario was deleted meanwhile), so a
    user can see both side by side.
    """

    def __init__(
        self,
        message: str,
        *,
        scenario_id: int,
        base_version: int,
        current_version: int,
        attempted: ScenarioContent,
        current: ScenarioVersion | None,
    ) -> None:
        super().__init__(message)
        self.scenario_id = scenario_id
        self.base_version = base_version
        self.current_version = current_version
        self.attempted = attempted
        self.current = current
