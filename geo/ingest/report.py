"""The report of an upload's checks: issues located by file, row and column, errors and warnings."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from geo.errors import DataFileError

Severity = Literal["error", "warning"]


# At most this many issues of one kind (same file, column and check) are listed one by one;
# the rest are counted in a closing line, so a file with 30,000 bad rows stays readable.
MAX_LISTED_PER_KIND = 20


@dataclass(frozen=True)
class Issue:
    """One problem found in an upload, located as precisely as the file allows.

    ``row`` is 1-based as a spreadsheet user counts (header = row 1) or, in spatial files,
    the 1-based feature number; ``column`` is the header as written in the file.
    """

    severity: Severity
    file: str
    row: int | None
    column: str | None
    message: str
    check: str = ""
    row_label: str = "row"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{self.severity.upper()}: {', '.join(where)}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the app's report table and the CLI's ``--json``."""
        return {
            "severity": self.severity, "file": self.file, "row": self.row,
            "row_label": self.row_label, "column": self.column, "message": self.message,
            "check": self.check,
        }


@dataclass(frozen=True)
class ValidationReport:
    """Everything wrong with one upload: errors block saving, warnings need accepting."""

    issues: tuple[Issue, ...] = ()

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Problems that must be fixed before the upload can be saved."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """Problems the analyst may accept (the upload is saved as it is, or as repaired)."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def passed(self) -> bool:
        """True when there are no errors (warnings may remain)."""
        return not self.errors

    @property
    def warnings_digest(self) -> str:
        """A short fingerprint of the listed warnings.

        The analyst accepts *these* warnings by handing the digest back when saving, so a
        file changed between looking at the report and saving cannot slip new warnings in.
        """
        text = "\n".join(str(i) for i in self.warnings)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def can_apply(self, accepted_warnings: str | None = None) -> bool:
        """True when there are no errors and either no warnings or these warnings accepted."""
        if not self.passed:
            return False
        return not self.warnings or accepted_warnings == self.warnings_digest

    def with_issues(self, issues: Iterable[Issue]) -> ValidationReport:
        """A new report with ``issues`` added after the existing ones."""
        return ValidationReport(self.issues + tuple(issues))

    def to_text(self, *, limit: int | None = None) -> str:
        """The report as plain-English lines, errors first."""
        ordered = self.errors + self.warnings
        if not ordered:
            return "No problems found."
        shown = ordered if limit is None else ordered[:limit]
        lines = [
            f"{len(self.errors)} error(s) and {len(self.warnings)} warning(s).",
            *(str(i) for i in shown),
        ]
        if len(shown) < len(ordered):
            lines.append(f"... and {len(ordered) - len(shown)} more.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form of the whole report."""
        return {
            "passed": self.passed,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "warnings_digest": self.warnings_digest,
            "issues": [i.to_dict() for i in self.issues],
        }


class IssueList:
    """Collects issues, listing at most :data:`MAX_LISTED_PER_KIND` of each kind."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._counts: dict[tuple[str, str | None, str, Severity], int] = defaultdict(int)
        self._row_label: dict[tuple[str, str | None, str, Severity], str] = {}

    def add(self, severity: Severity, file: str, row: int | None, column: str | None,
            message: str, *, check: str, row_label: str = "row") -> None:
        """Record one issue; past :data:`MAX_LISTED_PER_KIND` of its kind it is only counted."""
        key = (file, column, check, severity)
        self._counts[key] += 1
        self._row_label[key] = row_label
        if self._counts[key] <= MAX_LISTED_PER_KIND:
            self.issues.append(Issue(severity, file, row, column, message, check, row_label))

    def extend(self, issues: Iterable[Issue]) -> None:
        """Record each of ``issues``, as :meth:`add` would."""
        for issue in issues:
            self.add(issue.severity, issue.file, issue.row, issue.column, issue.message,
                     check=issue.check, row_label=issue.row_label)

    def done(self) -> list[Issue]:
        """The collected issues plus one line per kind that was cut short."""
        closing = [
            Issue(severity, file, None, column,
                  f"... and {count - MAX_LISTED_PER_KIND:,} more {self._row_label[key]}s "
                  f"with the same problem ({check.replace('_', ' ')})", check)
            for key, count in self._counts.items()
            if count > MAX_LISTED_PER_KIND
            for file, column, check, severity in [key]
        ]
        return self.issues + closing


def run_checks(*checks: Callable[[], list[Issue]]) -> ValidationReport:
    """Run independent checks and gather all their issues into one report."""
    issues: list[Issue] = []
    for check in checks:
        issues.extend(check())
    return ValidationReport(tuple(issues))


class UploadRejectedError(DataFileError):
    """A whole upload refused because its validation report has errors or unaccepted warnings."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


def short_list(names: Sequence[str], limit: int = 8) -> str:
    """The first ``limit`` names joined for a message, then how many more."""
    shown = ", ".join(names[:limit])
    return (shown + f" and {len(names) - limit} more") if len(names) > limit else (shown or "nothing")


def list_headers(columns: Iterable[object], limit: int = 12) -> str:
    """A file's headers for 'found columns ...' in a message (quoted, the geometry column left out)."""
    names = [str(c) for c in columns if str(c) != "geometry"]
    shown = ", ".join(repr(n) for n in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown or "none"
