"""The report of an upload's checks: issues located by file, row and column, errors and warnings."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from geo.errors import DataFileError

Severity = Literal["error", "warning"]


Audience = Literal["page", "command line"]
# How an analyst makes each choice a message may point to, on the data page and on the
# command line. Messages carry a token (:func:`choice`), worded for whoever reads them.
CHOICES: dict[str, tuple[str, str]] = {
    "crs": ("the projection under More options (for example EPSG:27700)", "--crs (for example --crs EPSG:27700)"),
    "layer": ("the layer under More options", "--layer"),
    "sheet": ("the sheet under More options", "--sheet"),
    "header_row": ("the header row under More options", "--header-row"),
    "adult_share": ("the share of residents who are adults", "--adult-share"),
    "columns": ("a line HEADER=our_name under More options (column names)", "--column HEADER=our_name"),
    "aliases": ("the accepted names listed in docs/UPLOADS.md", "'python -m cli.data aliases'"),
    "network_margin": ("roads beyond the boundary under More options", "--network-margin-km"),
}
_CHOICE = re.compile(r"\[\[choice:(\w+)\]\]")
# Warnings that report a documented default or a routine fact (a value left empty, a national
# table's other areas left out): listed after the warnings that change results, folded away.
ROUTINE_CHECKS = frozenset({"default_used", "code_not_in_areas"})


def choice(name: str) -> str:
    """A token standing for how choice ``name`` is made (:data:`CHOICES`), worded by :func:`worded`."""
    if name not in CHOICES:
        raise KeyError(name)
    return f"[[choice:{name}]]"


def worded(text: str, audience: Audience = "command line") -> str:
    """``text`` with each choice token in the words of ``audience`` (the page's control or the option)."""
    position = 0 if audience == "page" else 1
    return _CHOICE.sub(lambda match: CHOICES[match.group(1)][position], text)


@dataclass(frozen=True)
class Issue:
    """One problem found in an upload, located as precisely as the file allows.

    ``row`` is 1-based as a spreadsheet user counts (header = row 1) or, in spatial files,
    the 1-based feature number; ``column`` is the header as written in the file. A problem
    found in several rows is one issue: ``rows`` lists every one of them and ``details`` each
    row's own message, and ``message`` says how many of the file's rows it affects.
    """

    severity: Severity
    file: str
    row: int | None
    column: str | None
    message: str
    check: str = ""
    row_label: str = "row"
    rows: tuple[int, ...] = ()
    details: tuple[str, ...] = ()

    @property
    def routine(self) -> bool:
        """A routine note (a documented default, a value left empty), not a warning that changes results."""
        return self.severity == "warning" and self.check in ROUTINE_CHECKS

    def line(self, audience: Audience = "command line") -> str:
        """The issue as one line of plain English for ``audience``."""
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{self.severity.upper()}: {', '.join(where)}: {worded(self.message, audience)}"

    def __str__(self) -> str:
        return self.line()

    def to_dict(self, audience: Audience = "command line") -> dict[str, Any]:
        """A JSON-ready form, for the app's report table and the CLI's ``--json``."""
        return {
            "severity": self.severity, "file": self.file, "row": self.row,
            "row_label": self.row_label, "column": self.column, "message": worded(self.message, audience),
            "check": self.check, "routine": self.routine, "rows": list(self.rows),
            "details": [worded(d, audience) for d in self.details],
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
    def notable_warnings(self) -> tuple[Issue, ...]:
        """The warnings that change results (listed first)."""
        return tuple(i for i in self.warnings if not i.routine)

    @property
    def routine_notes(self) -> tuple[Issue, ...]:
        """Warnings that only report a documented default or a value left empty (listed last)."""
        return tuple(i for i in self.warnings if i.routine)

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

    def to_text(self, *, audience: Audience = "command line") -> str:
        """The report as plain-English lines: errors, the warnings that change results, then routine notes."""
        if not self.issues:
            return "No problems found."
        lines = [f"{len(self.errors)} error(s) and {len(self.warnings)} warning(s)"
                 + (f", {len(self.routine_notes)} of them routine notes." if self.routine_notes else "."),
                 *(i.line(audience) for i in self.errors + self.notable_warnings)]
        if self.routine_notes:
            lines.append("Routine notes (documented defaults used, values left empty):")
            lines.extend(i.line(audience) for i in self.routine_notes)
        return "\n".join(lines)

    def to_dict(self, audience: Audience = "command line") -> dict[str, Any]:
        """A JSON-ready form of the whole report."""
        return {
            "passed": self.passed,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "warnings_digest": self.warnings_digest,
            "issues": [i.to_dict(audience) for i in self.errors + self.notable_warnings + self.routine_notes],
        }


def row_ranges(rows: Sequence[int], label: str = "row") -> str:
    """Row numbers as a reader takes them in: 'rows 2 to 710', 'rows 3, 5 and 9 to 12'."""
    ordered = sorted(set(rows))
    spans: list[str] = []
    start = previous = ordered[0]
    for row in [*ordered[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        if previous - start >= 2:
            spans.append(f"{start:,} to {previous:,}")
        else:
            spans.extend(f"{row_number:,}" for row_number in range(start, previous + 1))
        if row is not None:
            start = previous = row
    joined = spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]
    return f"{label}{'s' if len(ordered) > 1 else ''} {joined}"


class IssueList:
    """Collects issues and reports every one: the same problem in several rows becomes one issue
    that counts them against the file's ``total`` rows and lists them all."""

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self._kinds: dict[tuple[str, str | None, str, Severity], list[Issue]] = defaultdict(list)

    def add(self, severity: Severity, file: str, row: int | None, column: str | None,
            message: str, *, check: str, row_label: str = "row") -> None:
        """Record one issue."""
        self._kinds[(file, column, check, severity)].append(
            Issue(severity, file, row, column, message, check, row_label))

    def extend(self, issues: Iterable[Issue]) -> None:
        """Record each of ``issues``, as :meth:`add` would."""
        for issue in issues:
            self.add(issue.severity, issue.file, issue.row, issue.column, issue.message,
                     check=issue.check, row_label=issue.row_label)

    def done(self) -> list[Issue]:
        """The issues, each kind found in several rows made one (issues of no row stay as they are)."""
        done: list[Issue] = []
        for found in self._kinds.values():
            in_rows = [i for i in found if i.row is not None]
            done.extend(i for i in found if i.row is None)
            if len(in_rows) == 1:
                done.extend(in_rows)
            elif in_rows:
                done.append(self._grouped(in_rows))
        return done

    def _grouped(self, found: list[Issue]) -> Issue:
        first = found[0]
        rows = tuple(int(i.row) for i in found if i.row is not None)
        label = first.row_label
        of = f" of {self.total:,}" if self.total is not None else ""
        message = (f"{len(rows):,}{of} {label}s have this problem ({row_ranges(rows, label)}); "
                   f"the first, {label} {rows[0]}: {first.message}")
        return replace(first, row=None, message=message, rows=rows, details=tuple(i.message for i in found))


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
