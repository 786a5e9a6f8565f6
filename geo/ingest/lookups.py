"""Code lookups between boundary vintages (2011 and 2021 LSOAs, say), and indicators moved onto the areas' codes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from geo.errors import UploadError
from geo.ingest.cells import normalise_code
from geo.ingest.files import DEFAULT_LIMITS, Upload, UploadLimits
from geo.ingest.report import Issue, short_list
from geo.ingest.tables import read_table


@dataclass(frozen=True, eq=False)
class CodeLookup:
    """Pairs of old and new area codes (2011 and 2021 LSOAs, say); a code may map to several."""

    file: str
    pairs: pd.DataFrame  # old_code, new_code

    def translate(self, codes: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The new codes each old code became (empty when the lookup does not know it)."""
        grouped = self.pairs.groupby("old_code")["new_code"].apply(tuple).to_dict()
        return {c: tuple(grouped.get(c, ())) for c in codes}


def read_code_lookup(upload: Upload, *, columns: Mapping[str, str] | None = None,
                     limits: UploadLimits = DEFAULT_LIMITS) -> CodeLookup:
    """Read a table of old and new area codes (for example LSOA11CD and LSOA21CD)."""
    table, issues = read_table(upload, "lookup", columns=columns, limits=limits)
    missing = [c for c in ("old_code", "new_code") if c not in table.frame.columns]
    if missing:
        raise UploadError(
            f"{upload.name}: expected a column of old codes and one of new codes (for example "
            f"LSOA11CD and LSOA21CD); found columns {table.found_columns()}")
    if any(i.severity == "error" for i in issues):
        raise UploadError(str(next(i for i in issues if i.severity == "error")))
    pairs = pd.DataFrame({
        "old_code": [normalise_code(v) for v in table.frame["old_code"]],
        "new_code": [normalise_code(v) for v in table.frame["new_code"]],
    }).dropna().drop_duplicates().reset_index(drop=True)
    if pairs.empty:
        raise UploadError(f"{upload.name}: the lookup has no pairs of codes")
    return CodeLookup(upload.name, pairs)


def translate_codes(file: str, typed: pd.DataFrame, area_codes: Sequence[str], lookup: CodeLookup,
                     issues: list[Issue]) -> pd.DataFrame:
    """Move an indicator table keyed by old codes (2011 LSOAs, say) onto the areas' codes.

    Only one-to-one pairs are translated: a split or merged area's counts cannot be
    apportioned without more data, so those codes stay as they are (and are then listed
    as missing by the coverage check).
    """
    areas = set(area_codes)
    unmatched = [c for c in typed.index if c not in areas]
    pairs = lookup.pairs[lookup.pairs["old_code"].isin(unmatched) & lookup.pairs["new_code"].isin(areas)]
    if pairs.empty:
        return typed
    old_count = lookup.pairs.groupby("old_code")["new_code"].transform("nunique")
    new_count = lookup.pairs.groupby("new_code")["old_code"].transform("nunique")
    one_to_one = lookup.pairs[(old_count == 1) & (new_count == 1)]
    usable = one_to_one[one_to_one["old_code"].isin(unmatched) & ~one_to_one["new_code"].isin(typed.index)]
    renamed = dict(zip(usable["old_code"], usable["new_code"], strict=True))
    split_or_merged = sorted(set(pairs["old_code"]) - set(renamed))
    message = f"{len(renamed):,} code(s) were matched to the areas through {lookup.file} (one to one)"
    if split_or_merged:
        message += (f"; {len(split_or_merged):,} code(s) split or merged between vintages cannot be "
                    f"apportioned and were not matched: {short_list(split_or_merged, 20)}")
    issues.append(Issue("warning", file, None, None, message, "codes_translated"))
    return typed.rename(index=renamed)
