"""Read CSV and XLSX tables: encodings, separators, the header row and rows numbered as a spreadsheet shows them."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from geo.errors import UploadError
from geo.ingest.cells import Table, blank
from geo.ingest.columns import TableKind, map_columns, match_column, normalise_header
from geo.ingest.files import DEFAULT_LIMITS, FORMAT_NAMES, Upload, UploadLimits, detect_format
from geo.ingest.report import Issue, IssueList

_HEADER_SEARCH_ROWS = 20
SNIFF_LINE_CHARS = 10_000  # the separator is guessed from the start of the first lines


def decode_text(upload: Upload) -> str:
    """Decode a text file in whichever common encoding it uses.

    Byte-order marks decide (UTF-8, UTF-16); otherwise strict UTF-8, then Windows-1252
    (Excel's "CSV" on Windows), then Latin-1, which reads any byte.
    """
    content = upload.content
    if content.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    elif b"\x00" in content[:4096]:
        odd, even = content[1:4096:2].count(0), content[0:4096:2].count(0)
        half = len(content[:4096]) // 2
        if max(odd, even) < 0.4 * half or min(odd, even) > 0.1 * half:
            raise UploadError(f"{upload.name}: expected a text (CSV) file; found binary data")
        encodings = ("utf-16-le",) if odd > even else ("utf-16-be",)
    else:
        encodings = ("utf-8", "cp1252", "latin-1")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError(f"{upload.name}: cannot read the text as {' or '.join(encodings)}; expected "
                      "a CSV file saved as UTF-8, UTF-16, Windows-1252 or Latin-1")


def _csv_rows(upload: Upload) -> tuple[list[list[Any]], list[Issue]]:
    text = decode_text(upload)
    if "\x00" in text:
        raise UploadError(f"{upload.name}: expected a text (CSV) file; found binary data")
    if csv.field_size_limit() < len(text):  # a cell may be as long as the file (the upload limit bounds it)
        csv.field_size_limit(len(text) + 1)
    delimiter = _sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UploadError(f"{upload.name}: cannot read as CSV ({error})") from error
    return [list(row) for row in rows], []


def _sniff_delimiter(text: str) -> str:
    """The separator that splits the first lines into the most, equally long, rows."""
    lines = [line[:SNIFF_LINE_CHARS] for line in text[:20 * SNIFF_LINE_CHARS].splitlines()[:20] if line.strip()]
    best, best_score = ",", 1
    for delimiter in (",", ";", "\t", "|"):
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # a quote left open by the cut: this separator tells nothing
            continue
        if not widths:
            continue
        score = widths[0] if widths.count(widths[0]) >= max(1, len(widths) // 2) else 1
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _xlsx_rows(upload: Upload, sheet: str | None, kind: TableKind) -> list[list[Any]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(upload.content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for damaged workbooks
        raise UploadError(f"{upload.name}: cannot open the Excel workbook ({error})") from error
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise UploadError(f"{upload.name}: no sheet named {sheet!r}; found sheets "
                              f"{', '.join(repr(n) for n in names)}")
        candidates = [sheet] if sheet is not None else names
        first: list[list[Any]] | None = None
        for name in candidates:
            rows = [list(r) for r in book[name].iter_rows(min_row=1, values_only=True)]
            if first is None:
                first = rows
            if _find_header(rows, kind) is not None:
                return rows
        return first or []
    finally:
        book.close()


def _find_header(rows: Sequence[Sequence[Any]], kind: TableKind) -> int | None:
    """The index of the header row: the first of the top rows naming a column we know."""
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        headers = [str(c) for c in row if c is not None and str(c).strip()]
        if len(headers) >= 2 and any(match_column(h, kind) for h in headers):
            return index
    return None


def _table_from_rows(upload: Upload, rows: list[list[Any]], kind: TableKind,
                     columns: Mapping[str, str], header_row: int | None = None) -> tuple[Table, list[Issue]]:
    """Our Table from raw rows: find the header (or take ``header_row``, counted from 1), map its
    names, number rows from 1."""
    if header_row is not None:
        if not 1 <= header_row <= len(rows):
            raise UploadError(f"{upload.name}: the header row was given as row {header_row}, but the file has "
                              f"{len(rows):,} row(s); expected the number of the row holding the column names")
        return _table_below(upload, rows, header_row - 1, kind, columns)
    header_index = _find_header(rows, kind)
    if header_index is None:
        explicit = {normalise_header(k) for k in columns}
        header_index = next((i for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS])
                             if any(c is not None and normalise_header(c) in explicit for c in row)),
                            None)
    if header_index is None:
        header_index = next((i for i, row in enumerate(rows) if any(not blank(c) for c in row)), None)
    if header_index is None:
        raise UploadError(f"{upload.name}: the file has no rows; expected a header row and data")
    return _table_below(upload, rows, header_index, kind, columns)


def _table_below(upload: Upload, rows: list[list[Any]], header_index: int, kind: TableKind,
                 columns: Mapping[str, str]) -> tuple[Table, list[Issue]]:
    """The table whose header is ``rows[header_index]``: the rows below it, numbered from 1."""
    header = [("" if c is None else str(c).strip().lstrip("\ufeff")) for c in rows[header_index]]
    while header and not header[-1]:
        header.pop()
    mapping = map_columns(header, kind, columns)
    width = len(header)
    records: dict[int, list[Any]] = {}
    data_rows = sum(1 for row in rows[header_index + 1:] if any(not blank(c) for c in row))
    issues = IssueList(total=data_rows)
    for index in range(header_index + 1, len(rows)):
        row = list(rows[index])
        if all(c is None or c == "" for c in row) or not any(not blank(c) for c in row):
            continue
        extra = [c for c in row[width:] if not blank(c)]
        if extra:
            issues.add(
                "error", upload.name, index + 1, None,
                f"expected {width:,} values as in the header, found {width + len(extra):,}: a number "
                "with a thousands separator (1,234) must be in quotes, or the file uses another "
                "separator", check="row_too_long")
            continue  # its values are in the wrong columns: checking them would only mislead
        records[index + 1] = (row + [None] * width)[:width]
    frame = pd.DataFrame(list(records.values()), index=pd.Index(list(records), dtype=int),
                         columns=list(range(width)), dtype=object)
    chosen = {position: name for position, name in mapping.items()}
    frame = frame[list(chosen)].rename(columns=chosen)
    headers = {name: header[position] for position, name in chosen.items()}
    return Table(upload.name, frame, headers, all_headers=tuple(h for h in header if h)), issues.done()


def read_table(upload: Upload, kind: TableKind, *, columns: Mapping[str, str] | None = None,
               sheet: str | None = None, header_row: int | None = None,
               limits: UploadLimits = DEFAULT_LIMITS) -> tuple[Table, list[Issue]]:
    """Read a CSV or XLSX upload as a :class:`Table` with our column names.

    ``columns`` maps headers as written in the file to our names, for headers the
    aliases do not know (it wins over them). ``header_row`` (counted from 1) says which row
    holds the column names when it is not the first to name a column we know. Rows keep the
    numbers a spreadsheet shows.
    """
    file_format = detect_format(upload, limits=limits)
    if file_format == "xlsx":
        rows, issues = _xlsx_rows(upload, sheet, kind), list[Issue]()
    elif file_format == "csv":
        rows, issues = _csv_rows(upload)
    else:
        raise UploadError(f"{upload.name}: expected a table (CSV or XLSX); found a "
                          f"{FORMAT_NAMES[file_format]} file")
    table, more = _table_from_rows(upload, rows, kind, columns or {}, header_row)
    return table, issues + more
