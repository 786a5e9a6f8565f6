"""Keep every accepted upload as an immutable dataset version, and say what changed.

A data folder holds one sub-folder per version (``v0001``, ``v0002``, ...) and a small
``ACTIVE`` file naming the version the app uses. A version folder is a locality
:func:`geo.ingest.locality_files.load_locality` can read: ``locality.gpkg`` (layers ``areas``,
``services``, ``districts``, ``county``, ``towns`` and ``main_roads`` in the demo's
schema) and the road tables ``road_nodes.parquet``/``road_edges.parquet`` built from the
uploaded OpenStreetMap extract (or carried over from the version before when no new one
was given), plus ``manifest.json`` (when, from which files, what changed since its
parent), ``report.json`` (the validation report the analyst accepted), the uploaded
files under ``sources/`` and, when one was given, ``lookup.csv`` (old -> new area codes).
A version saved without any road network is kept but cannot be used by the planner
(:func:`locality_folder` skips it).

Towns, when the areas file names none, are derived and the manifest says how
(:func:`derive_towns`): OpenStreetMap's cities and towns inside the locality when there
is an extract, else the place part of the area names ("Rutland 005A" -> "Rutland").

Versions are written to a hidden temporary folder inside the data folder and renamed
into place in one step, and the ``ACTIVE`` pointer is replaced atomically, so a failure
at any point leaves every saved version and the pointer as they were. Versions are
never deleted. Nothing is written outside the data folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import DatasetError as DatasetError
from geo.errors import PlannerInputError
from geo.ingest.cells import BRITISH_NATIONAL_GRID
from geo.ingest.files import safe_file_name
from geo.ingest.gtfs import check_timetable, copy_timetable, timetable_choice, timetable_summary, write_timetable
from geo.ingest.locality_files import MANIFEST_FILE as MANIFEST_FILE
from geo.ingest.lookups import CodeLookup
from geo.ingest.networks import check_network, describe_network, network_extent, network_from_pbf
from geo.ingest.report import Issue, UploadRejectedError
from geo.ingest.uploads import DEFAULT_OPTIONS, PreparedUpload, UploadOptions, UploadSet, prepare_upload
from geo.network import ROAD_CLASSES, RoadNetwork, build_mode_graph
from geo.snapping import area_origins

ACTIVE_FILE = "ACTIVE"
LOCK_FILE = ".lock"
REPORT_FILE = "report.json"
LOOKUP_FILE = "lookup.csv"
LOCALITY_FILE = "locality.gpkg"
ROAD_NODES_FILE = "road_nodes.parquet"
ROAD_EDGES_FILE = "road_edges.parquet"
# OpenStreetMap places counted as towns when the areas file names none.
TOWN_PLACES = ("city", "town")
# An area whose population-weighted centre is within this distance of a town's centre
# (or whose polygon holds it) belongs to that town; other areas are "Rural".
TOWN_RADIUS_M = 2_500.0
RURAL = "Rural"
# Road classes drawn as main roads on the map (routing uses every class).
MAIN_ROAD_CLASSES = ("motorway", "a_road", "b_road")
# OpenStreetMap has zero-length segments (two nodes at one spot); the contract wants
# lengths above 0, so they are counted as this many metres.
MIN_EDGE_LENGTH_M = 0.01
VERSION_PATTERN = re.compile(r"^v(\d{4,})$")
# A temporary folder this old belongs to a save that was killed, not one in progress.
STALE_STAGING_SECONDS = 3600
# Population and need changes smaller than this (people) are rounding, not change.
CHANGE_TOLERANCE = 0.5


# ---------------------------------------------------------------------------------------
# What changed between two versions
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangeSummary:
    """How one version's areas and services differ from another's.

    Areas are matched by code; codes that changed (2011 -> 2021 LSOAs) are matched
    through a lookup when one is known, as renamed (one to one), split (one to several),
    merged (several to one) or regrouped (several to several); population and need are
    compared over each matched group. ``area_changes`` is a tidy table with one row per
    matched group: ``codes_before``, ``codes_after``, ``match`` (same, renamed, split,
    merged, regrouped), ``pop_before``, ``pop_after``, ``pop_change``, ``need_before``,
    ``need_after``, ``need_change``.
    """

    from_version: str | None
    to_version: str
    areas_added: tuple[str, ...]
    areas_removed: tuple[str, ...]
    areas_recoded: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...]
    pop_before: float
    pop_after: float
    need_before: float
    need_after: float
    services_added: tuple[str, ...]
    services_removed: tuple[str, ...]
    services_changed: tuple[str, ...]
    area_changes: pd.DataFrame = field(repr=False, compare=False)

    @property
    def areas_changed(self) -> int:
        """Matched areas (or groups) whose population or need changed."""
        table = self.area_changes
        if table.empty:
            return 0
        moved = (table["pop_change"].abs() > CHANGE_TOLERANCE) | (
            table["need_change"].abs() > CHANGE_TOLERANCE)
        return int(moved.sum())

    @property
    def is_empty(self) -> bool:
        """True when nothing a scenario's scores depend on has changed."""
        return not (self.areas_added or self.areas_removed or self.areas_recoded
                    or self.services_added or self.services_removed or self.services_changed
                    or self.areas_changed)

    def to_text(self) -> str:
        """A plain-English summary for the app and the CLI."""
        since = f"since {self.from_version}" if self.from_version else "(first version)"
        lines = [f"Changes in {self.to_version} {since}:"]
        if self.is_empty:
            lines.append("  nothing that affects the scores has changed.")
            return "\n".join(lines)
        lines.append(f"  residents {self.pop_before:,.0f} -> {self.pop_after:,.0f} "
                     f"({self.pop_after - self.pop_before:+,.0f}); need "
                     f"{self.need_before:,.0f} -> {self.need_after:,.0f} "
                     f"({self.need_after - self.need_before:+,.0f})")
        for label, codes in (("areas added", self.areas_added), ("areas removed", self.areas_removed)):
            if codes:
                lines.append(f"  {len(codes):,} {label}: {_list(codes)}")
        if self.areas_recoded:
            kinds: dict[str, int] = {}
            for _, _, kind in self.areas_recoded:
                kinds[kind] = kinds.get(kind, 0) + 1
            lines.append("  area codes matched through the lookup: "
                         + ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items())))
        if self.areas_changed:
            lines.append(f"  {self.areas_changed:,} area(s) changed in population or need; largest:")
            top = self.area_changes.reindex(
                self.area_changes["need_change"].abs().sort_values(ascending=False).index).head(5)
            for _, row in top.iterrows():
                lines.append(f"    {', '.join(row['codes_after'])}: residents "
                             f"{row['pop_change']:+,.0f}, need {row['need_change']:+,.1f}")
        for label, names in (("services added", self.services_added),
                             ("services removed", self.services_removed),
                             ("services changed", self.services_changed)):
            if names:
                lines.append(f"  {len(names):,} {label}: {_list(names)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (without the per-area table), as kept in a version's manifest."""
        return {
            "from_version": self.from_version, "to_version": self.to_version,
            "areas_added": list(self.areas_added), "areas_removed": list(self.areas_removed),
            "areas_recoded": [[list(a), list(b), k] for a, b, k in self.areas_recoded],
            "areas_changed": self.areas_changed,
            "pop_before": self.pop_before, "pop_after": self.pop_after,
            "need_before": self.need_before, "need_after": self.need_after,
            "services_added": list(self.services_added),
            "services_removed": list(self.services_removed),
            "services_changed": list(self.services_changed),
        }


def _list(items: Sequence[str], limit: int = 15) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit:,} more" if len(items) > limit else "")


def compare_layers(old_areas: gpd.GeoDataFrame | None, new_areas: gpd.GeoDataFrame, *,
                   old_services: gpd.GeoDataFrame | None = None,
                   new_services: gpd.GeoDataFrame | None = None,
                   lookup: pd.DataFrame | None = None,
                   from_version: str | None = None, to_version: str = "new") -> ChangeSummary:
    """Compare two versions' layers (pure: no files). ``lookup`` has ``old_code``/``new_code``."""
    empty = gpd.GeoDataFrame({"code": [], "pop_total": [], "need_weight": []}, geometry=[])
    old = old_areas if old_areas is not None else empty
    old_values = _area_values(old)
    new_values = _area_values(new_areas)
    same = old_values.index.intersection(new_values.index)
    removed = [c for c in old_values.index if c not in new_values.index]
    added = [c for c in new_values.index if c not in old_values.index]
    groups = _lookup_groups(removed, added, lookup)
    matched_old = {c for olds, _, _ in groups for c in olds}
    matched_new = {c for _, news, _ in groups for c in news}
    rows = [((c,), (c,), "same") for c in same] + groups
    records = []
    for olds, news, kind in rows:
        pop_before = float(old_values.loc[list(olds), "pop_total"].sum())
        pop_after = float(new_values.loc[list(news), "pop_total"].sum())
        need_before = float(old_values.loc[list(olds), "need_weight"].sum())
        need_after = float(new_values.loc[list(news), "need_weight"].sum())
        records.append({
            "codes_before": olds, "codes_after": news, "match": kind,
            "pop_before": pop_before, "pop_after": pop_after, "pop_change": pop_after - pop_before,
            "need_before": need_before, "need_after": need_after,
            "need_change": need_after - need_before,
        })
    table = pd.DataFrame(records, columns=[
        "codes_before", "codes_after", "match", "pop_before", "pop_after", "pop_change",
        "need_before", "need_after", "need_change"])
    s_added, s_removed, s_changed = _service_changes(old_services, new_services)
    return ChangeSummary(
        from_version=from_version, to_version=to_version,
        areas_added=tuple(c for c in added if c not in matched_new),
        areas_removed=tuple(c for c in removed if c not in matched_old),
        areas_recoded=tuple(groups),
        pop_before=float(old_values["pop_total"].sum()),
        pop_after=float(new_values["pop_total"].sum()),
        need_before=float(old_values["need_weight"].sum()),
        need_after=float(new_values["need_weight"].sum()),
        services_added=s_added, services_removed=s_removed, services_changed=s_changed,
        area_changes=table,
    )


def _area_values(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    values = pd.DataFrame({
        "pop_total": pd.to_numeric(areas["pop_total"], errors="coerce").fillna(0.0).to_numpy(),
        "need_weight": pd.to_numeric(areas["need_weight"], errors="coerce").fillna(0.0).to_numpy(),
    }, index=pd.Index([str(c) for c in areas["code"]], name="code"))
    return values


def _lookup_groups(removed: Sequence[str], added: Sequence[str],
                   lookup: pd.DataFrame | None) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
    """Groups of removed and added codes joined by the lookup (its pairs taken as links,
    so chains such as 2001 -> 2011 -> 2021 join up too)."""
    if lookup is None or lookup.empty or not removed or not added:
        return []
    parent: dict[str, str] = {}

    def find(code: str) -> str:
        while parent.setdefault(code, code) != code:
            parent[code] = parent[parent[code]]
            code = parent[code]
        return code

    for a, b in zip(lookup["old_code"].astype(str), lookup["new_code"].astype(str), strict=True):
        parent[find(a)] = find(b)
    removed_set, added_set = set(removed), set(added)
    members: dict[str, tuple[list[str], list[str]]] = {}
    for code in removed:
        if code in parent:
            members.setdefault(find(code), ([], []))[0].append(code)
    for code in added:
        if code in parent:
            members.setdefault(find(code), ([], []))[1].append(code)
    groups = []
    for olds, news in members.values():
        if not olds or not news:
            continue
        kind = ("renamed" if len(olds) == len(news) == 1 else "split" if len(olds) == 1
                else "merged" if len(news) == 1 else "regrouped")
        groups.append((tuple(sorted(o for o in olds if o in removed_set)),
                       tuple(sorted(n for n in news if n in added_set)), kind))
    return sorted(groups)


def _service_changes(old: gpd.GeoDataFrame | None,
                     new: gpd.GeoDataFrame | None) -> tuple[tuple[str, ...], ...]:
    """Services added, removed and changed (budget, clients, functions or a move > 10 m),
    matched by name."""
    old_rows = _service_rows(old)
    new_rows = _service_rows(new)
    added = tuple(n for n in new_rows if n not in old_rows)
    removed = tuple(n for n in old_rows if n not in new_rows)
    changed = []
    for name in new_rows:
        if name in old_rows:
            a, b = old_rows[name], new_rows[name]
            moved = a["point"].distance(b["point"]) > 10 if a["point"] and b["point"] else False
            if moved or a["values"] != b["values"]:
                changed.append(name)
    return added, removed, tuple(changed)


def _service_rows(services: gpd.GeoDataFrame | None) -> dict[str, dict[str, Any]]:
    if services is None or services.empty:
        return {}
    keys = ("budget_gbp", "clients", "functions", "locality_wide")
    rows = {}
    for _, row in services.iterrows():
        values = tuple(str(row[k]) if k in row.index else "" for k in keys)
        point = row.geometry if row.geometry is not None and not row.geometry.is_empty else None
        rows[str(row["name"])] = {"values": values, "point": point}
    return rows


# ---------------------------------------------------------------------------------------
# Versions on disk
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceFile:
    """One uploaded file kept with a version."""

    role: str
    name: str
    stored_as: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class DatasetVersion:
    """One saved version, as described by its manifest."""

    version_id: str
    path: Path
    created_utc: str
    note: str
    parent: str | None
    locality_name: str
    n_areas: int
    n_services: int
    pop_total: float
    need_total: float
    sources: tuple[SourceFile, ...]
    changes: dict[str, Any] = field(compare=False, repr=False)
    accepted_warnings: int = 0
    has_lookup: bool = False
    has_roads: bool = False
    towns_from: str = ""
    network_margin_km: float | None = None  # None: saved before networks reached beyond the boundary
    timetable: str = ""  # the public-transport timetable and its day, when the version has one


@dataclass(frozen=True, eq=False)
class VersionLayers:
    """A version's areas and services (services empty when none were uploaded)."""

    version_id: str
    areas: gpd.GeoDataFrame
    services: gpd.GeoDataFrame | None


def list_versions(root: Path | str) -> tuple[DatasetVersion, ...]:
    """Every saved version, oldest first (temporary folders of unfinished saves are skipped)."""
    root = Path(root)
    if not root.is_dir():
        return ()
    found = []
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        if child.is_dir() and VERSION_PATTERN.match(child.name) and (child / MANIFEST_FILE).is_file():
            found.append(_read_manifest(child))
    return tuple(sorted(found, key=lambda v: _number(v.version_id)))


def active_version_id(root: Path | str) -> str | None:
    """The version the app uses, or None when nothing has been saved."""
    pointer = Path(root) / ACTIVE_FILE
    if not pointer.is_file():
        return None
    version_id = pointer.read_text(encoding="utf-8").strip()
    if not VERSION_PATTERN.match(version_id) or not (Path(root) / version_id / MANIFEST_FILE).is_file():
        raise DatasetError(f"{pointer}: names {version_id!r}, which is not a saved version")
    return version_id


def active_version(root: Path | str) -> DatasetVersion | None:
    """The active version's description, or None when nothing has been saved."""
    version_id = active_version_id(root)
    return None if version_id is None else get_version(root, version_id)


def get_version(root: Path | str, version_id: str) -> DatasetVersion:
    """One version's description, refusing ids that are not versions in this folder."""
    return _read_manifest(_version_path(Path(root), version_id))


def activate_version(root: Path | str, version_id: str) -> DatasetVersion:
    """Make ``version_id`` the active one (older and newer versions are kept)."""
    root = Path(root)
    version = get_version(root, version_id)
    _write_atomic(root, root / ACTIVE_FILE, (version.version_id + "\n").encode("utf-8"))
    return version


def load_version_layers(root: Path | str, version_id: str) -> VersionLayers:
    """Read a version's areas and services from its GeoPackage."""
    import pyogrio

    path = _version_path(Path(root), version_id) / LOCALITY_FILE
    try:
        layers = {str(n) for n, _ in pyogrio.list_layers(path)}
        areas = gpd.read_file(path, layer="areas")
        services = gpd.read_file(path, layer="services") if "services" in layers else None
    except Exception as error:  # pyogrio raises several types for damaged files
        raise DatasetError(f"{path}: cannot read the saved version ({error})") from error
    return VersionLayers(version_id, areas, services)


def read_version_lookup(root: Path | str, version_id: str) -> pd.DataFrame | None:
    """The old -> new code lookup saved with a version, if one was uploaded with it."""
    path = _version_path(Path(root), version_id) / LOOKUP_FILE
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str)


def changes_since(root: Path | str, version_id: str, *, to_version: str | None = None,
                  lookup: CodeLookup | pd.DataFrame | None = None) -> ChangeSummary:
    """What changed between a scenario's pinned version and ``to_version`` (default: active).

    Code lookups saved with the versions in between are used to match renamed, split and
    merged areas; ``lookup`` adds another.
    """
    root = Path(root)
    target = to_version or active_version_id(root)
    if target is None:
        raise DatasetError(f"{root}: no version is active, so there is nothing to compare with")
    old = load_version_layers(root, version_id)
    new = load_version_layers(root, target)
    low, high = sorted((_number(version_id), _number(target)))
    pairs = [read_version_lookup(root, v.version_id) for v in list_versions(root)
             if low < _number(v.version_id) <= high]
    if isinstance(lookup, CodeLookup):
        pairs.append(lookup.pairs)
    elif lookup is not None:
        pairs.append(lookup)
    known = [p for p in pairs if p is not None]
    combined = pd.concat(known, ignore_index=True) if known else None
    return compare_layers(old.areas, new.areas, old_services=old.services,
                          new_services=new.services, lookup=combined,
                          from_version=version_id, to_version=target)


def save_version(root: Path | str, prepared: PreparedUpload, *,
                 accepted_warnings: str | None = None, note: str = "", activate: bool = True,
                 locality_name: str = "Uploaded locality") -> DatasetVersion:
    """Save a checked upload as a new version (and make it active unless told not to).

    Refuses, changing nothing, when the report has errors, or warnings the analyst has not
    accepted by passing back the report's ``warnings_digest``. The version is written to a
    temporary folder inside ``root`` and renamed into place, so it appears whole or not
    at all. Its road tables are built from the uploaded OpenStreetMap extract over the areas
    and ``prepared.network_margin_km`` beyond them (or carried over from the version before
    when no extract was given), and
    towns are derived when the areas name none (:func:`derive_towns`).
    """
    report = prepared.report
    if not report.can_apply(accepted_warnings):
        if not report.passed:
            listed = "\n".join(str(i) for i in report.errors[:10])
            more = f"\n... and {len(report.errors) - 10} more" if len(report.errors) > 10 else ""
            message = (f"The upload was not saved: {len(report.errors)} error(s) to fix first.\n"
                       f"{listed}{more}")
        else:
            message = (f"The upload was not saved: {len(report.warnings)} warning(s) need "
                       "accepting first (review them, then accept them to save).")
        raise UploadRejectedError(message, report)
    if prepared.areas is None:
        raise UploadRejectedError("The upload was not saved: it holds no areas.", report)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        _remove_stale_staging(root)
        versions = list_versions(root)
        number = max((_number(v.version_id) for v in versions), default=0) + 1
        version_id = f"v{number:04d}"
        parent_id = _parent_id(root)
        parent = load_version_layers(root, parent_id) if parent_id else None
        lookup = prepared.lookup.pairs if prepared.lookup is not None else None
        changes = compare_layers(
            parent.areas if parent else None, prepared.areas,
            old_services=parent.services if parent else None, new_services=prepared.services,
            lookup=lookup, from_version=parent_id, to_version=version_id)
        staging = root / f".tmp-{version_id}-{uuid.uuid4().hex[:8]}"
        try:
            staging.mkdir()
            _write_version(staging, prepared, changes, version_id=version_id, parent=parent_id,
                           note=note, locality_name=locality_name,
                           accepted=len(report.warnings), root=root)
            _fsync_tree(staging)
            final = root / version_id
            os.rename(staging, final)
            _fsync_dir(root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if activate:
            _write_atomic(root, root / ACTIVE_FILE, (version_id + "\n").encode("utf-8"))
    return get_version(root, version_id)


def upload_dataset(root: Path | str, uploads: UploadSet, *,
                   options: UploadOptions = DEFAULT_OPTIONS, accepted_warnings: str | None = None,
                   note: str = "", activate: bool = True) -> tuple[PreparedUpload, DatasetVersion]:
    """Check an upload against the active version and save it as a new version.

    What the upload does not replace (services, or areas) is taken from the active
    version. Raises :class:`~geo.ingest.report.UploadRejectedError` (with the report) when it
    cannot be saved; the data folder is then unchanged.
    """
    prepared = check_upload(root, uploads, options=options)
    version = save_version(root, prepared, accepted_warnings=accepted_warnings, note=note,
                           activate=activate, locality_name=options.locality_name)
    return prepared, version


def check_upload(root: Path | str, uploads: UploadSet, *,
                 options: UploadOptions = DEFAULT_OPTIONS) -> PreparedUpload:
    """Read and check an upload against the version it will follow, writing nothing: the active
    version, else the newest saved (what :func:`save_version` takes as the new version's parent)."""
    current = _parent_id(root)
    layers = load_version_layers(root, current) if current else None
    prepared = prepare_upload(uploads, options=options,
                              current_areas=layers.areas if layers else None,
                              current_services=layers.services if layers else None)
    return check_timetable(prepared, options.timetable, limits=options.limits)


# ---------------------------------------------------------------------------------------
# A complete locality: road tables, main roads and towns
# ---------------------------------------------------------------------------------------
def _parent_id(root: Path | str) -> str | None:
    """The version a new upload builds on: the active one, else the newest saved, else none."""
    if not Path(root).is_dir():
        return None
    versions = list_versions(root)
    return active_version_id(root) or (versions[-1].version_id if versions else None)


def road_tables(network: RoadNetwork) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The network as the contract's ``road_nodes`` and ``road_edges`` tables.

    Node ids are positions 0..N-1; road classes are named as in
    :data:`geo.network.ROAD_CLASSES` ("path" edges are for walking only); zero-length
    segments count as :data:`MIN_EDGE_LENGTH_M` metres.
    """
    nodes = pd.DataFrame({
        "node_id": np.arange(network.n_nodes, dtype=np.int64),
        "x": np.asarray(network.x, dtype=np.float64),
        "y": np.asarray(network.y, dtype=np.float64),
    })
    edges = pd.DataFrame({
        "u": np.asarray(network.edge_u, dtype=np.int64),
        "v": np.asarray(network.edge_v, dtype=np.int64),
        "road_class": np.asarray(ROAD_CLASSES, dtype=object)[np.asarray(network.edge_class, dtype=np.int64)],
        "length_m": np.maximum(np.asarray(network.edge_length_m, dtype=np.float64), MIN_EDGE_LENGTH_M),
        "oneway": np.asarray(network.edge_oneway, dtype=bool),
    })
    return nodes, edges


def main_roads_from_tables(road_nodes: pd.DataFrame, road_edges: pd.DataFrame) -> gpd.GeoDataFrame:
    """Motorways, A and B roads as lines for drawing (``road_class``, geometry), joined up
    where segments meet; an empty layer when there are none."""
    keep = road_edges["road_class"].isin(MAIN_ROAD_CLASSES).to_numpy()
    x, y = road_nodes["x"].to_numpy(), road_nodes["y"].to_numpy()
    rows: list[dict[str, Any]] = []
    for road_class in MAIN_ROAD_CLASSES:
        chosen = road_edges.loc[keep & (road_edges["road_class"] == road_class).to_numpy()]
        if chosen.empty:
            continue
        u, v = chosen["u"].to_numpy(), chosen["v"].to_numpy()
        coords = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
        merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
        rows.extend({"road_class": road_class, "geometry": part}
                    for part in shapely.get_parts(merged))
    if not rows:
        return gpd.GeoDataFrame({"road_class": pd.Series([], dtype=object)},
                                geometry=gpd.GeoSeries([], crs=BRITISH_NATIONAL_GRID))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BRITISH_NATIONAL_GRID)


def derive_towns(areas: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None = None,
                 ) -> tuple[gpd.GeoDataFrame, pd.Series, str]:
    """Towns (``name``, ``district``, ``population``, ``is_biggest``, points) and each area's town.

    In order of preference, and the third value says which was used:

    1. the areas' own ``town`` column, when it names towns (not all "Unknown");
    2. ``places`` (OpenStreetMap cities and towns inside the locality: ``name`` and points):
       an area belongs to the nearest town whose centre is within :data:`TOWN_RADIUS_M`
       of its population-weighted centre, or whose centre lies in it; the rest are "Rural";
    3. the place part of the area names ("Rutland 005A" -> "Rutland"), one town per place,
       at the population-weighted centre of its areas.
    """
    given = areas["town"].astype(str).str.strip()
    if (~given.isin(["", "Unknown", "nan", "None"])).any():
        towns = _towns_from_groups(areas, given.where(~given.isin(["", "Unknown"]), RURAL))
        return towns, given.where(~given.isin(["", "Unknown"]), RURAL), "the areas' town column"
    if places is not None and not places.empty:
        assigned = _nearest_places(areas, places)
        if (assigned != RURAL).any():
            towns = _towns_from_groups(areas, assigned, points=places)
            return towns, assigned, "OpenStreetMap cities and towns"
    prefix = areas["name"].astype(str).str.replace(r"[\s_-]*\d+[A-Za-z]?$", "", regex=True).str.strip()
    prefix = prefix.where(prefix != "", areas["name"].astype(str))
    return _towns_from_groups(areas, prefix), prefix, "the place part of the area names"


def _nearest_places(areas: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> pd.Series:
    origins = area_origins(areas)
    points = np.column_stack([places.geometry.x.to_numpy(), places.geometry.y.to_numpy()])
    distance = np.hypot(origins[:, None, 0] - points[None, :, 0], origins[:, None, 1] - points[None, :, 1])
    holds, place_index = areas.sindex.query(places.geometry, predicate="contains")[::-1]
    distance[holds, place_index] = 0.0
    nearest = distance.argmin(axis=1)
    near = distance[np.arange(len(areas)), nearest] <= TOWN_RADIUS_M
    names = places["name"].astype(str).to_numpy()
    return pd.Series(np.where(near, names[nearest], RURAL), index=areas.index, dtype=object)


def _towns_from_groups(areas: gpd.GeoDataFrame, town: pd.Series,
                       points: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """One town per name in ``town`` (not "Rural"), at its ``points`` row when given, else at
    the population-weighted centre of its areas; biggest = most residents."""
    frame = pd.DataFrame({
        "town": town.to_numpy(), "district": areas["district"].astype(str).to_numpy(),
        "pop": pd.to_numeric(areas["pop_total"], errors="coerce").fillna(0.0).to_numpy(),
        "x": area_origins(areas)[:, 0],
        "y": area_origins(areas)[:, 1],
    })
    if (frame["town"] == RURAL).all():
        frame["town"] = str(areas["district"].iloc[0])
    rows = []
    for name, group in frame[frame["town"] != RURAL].groupby("town", sort=True):
        weight = group["pop"].clip(lower=0) + 1e-9
        x, y = float(np.average(group["x"], weights=weight)), float(np.average(group["y"], weights=weight))
        if points is not None:
            match = points.loc[points["name"].astype(str) == name]
            if not match.empty:
                x, y = float(match.geometry.iloc[0].x), float(match.geometry.iloc[0].y)
        district = str(group.groupby("district")["pop"].sum().idxmax())
        rows.append({"name": str(name), "district": district, "population": float(group["pop"].sum()),
                     "geometry": shapely.Point(x, y)})
    towns = gpd.GeoDataFrame(rows, geometry="geometry", crs=BRITISH_NATIONAL_GRID)
    towns["is_biggest"] = False
    towns.loc[towns["population"].idxmax(), "is_biggest"] = True
    return towns[["name", "district", "population", "is_biggest", "geometry"]]


def _services_in_towns(services: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Services whose town was 'Unknown' get the town of the area they stand in."""
    unknown = services["town"].astype(str).isin(["", "Unknown"])
    if not unknown.any():
        return services
    joined = gpd.sjoin(services[["geometry"]], areas[["town", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    out = services.copy()
    out.loc[unknown, "town"] = joined.loc[unknown, "town"].fillna(RURAL).to_numpy()
    return out


def _osm_places(pbf: Path, boundary: shapely.Geometry) -> gpd.GeoDataFrame:
    """OpenStreetMap cities and towns inside ``boundary``: ``name`` and points (metres)."""
    from pyrosm import OSM

    try:
        found = OSM(str(pbf)).get_data_by_custom_criteria(
            custom_filter={"place": list(TOWN_PLACES)}, keep_ways=False, keep_relations=False)
    except Exception:  # a damaged extract names no places; the roads were read already
        found = None
    empty = gpd.GeoDataFrame({"name": pd.Series([], dtype=object)},
                             geometry=gpd.GeoSeries([], crs=BRITISH_NATIONAL_GRID))
    if found is None or found.empty:
        return empty
    if "name" in found.columns:
        names = found["name"]
    else:
        names = found["tags"].map(lambda t: json.loads(t).get("name") if isinstance(t, str) else None)
    places = gpd.GeoDataFrame({"name": names.to_numpy()}, geometry=found.geometry.to_numpy(),
                              crs=found.crs or "EPSG:4326").to_crs(BRITISH_NATIONAL_GRID)
    places = places[places["name"].notna() & places.geometry.within(boundary)]
    return places.drop_duplicates("name").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class _Roads:
    pbf_path: Path | None  # the extract this version's roads come from
    source: str | None  # the same, relative to the data folder, for the manifest
    main_roads: gpd.GeoDataFrame
    margin_km: float | None  # how far beyond the boundary they reach (None: no roads)


def _write_roads(folder: Path, root: Path, prepared: PreparedUpload, areas: gpd.GeoDataFrame, *,
                 version_id: str, parent: str | None) -> _Roads:
    """Road tables for a new version: from its own extract, else carried over from the parent
    (copied when the areas did not change, rebuilt from the parent's extract when they did)."""
    empty = main_roads_from_tables(pd.DataFrame({"x": [], "y": []}),
                                   pd.DataFrame({"u": [], "v": [], "road_class": []}))
    source: str | None = None
    pbf: Path | None = None
    if prepared.uploads.roads is not None:
        stored = f"sources/roads-{safe_file_name(prepared.uploads.roads.name)}"
        source, pbf = f"{version_id}/{stored}", folder / stored
    elif parent is not None:
        parent_folder = _version_path(root, parent)
        manifest = json.loads((parent_folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        source = manifest.get("roads_source")
        pbf = _inside(root, root / source) if source else None
        has_tables = (parent_folder / ROAD_NODES_FILE).is_file() and (parent_folder / ROAD_EDGES_FILE).is_file()
        if has_tables and not prepared.areas_changed:
            for name in (ROAD_NODES_FILE, ROAD_EDGES_FILE):
                shutil.copyfile(parent_folder / name, folder / name)
            nodes = pd.read_parquet(folder / ROAD_NODES_FILE)
            edges = pd.read_parquet(folder / ROAD_EDGES_FILE)
            margin = manifest.get("network_margin_km")
            return _Roads(pbf, source, main_roads_from_tables(nodes, edges),
                          None if margin is None else float(margin))
    if pbf is None or not pbf.is_file():
        return _Roads(None, None, empty, None)
    network = network_from_pbf(pbf, within=network_extent(_outline(areas), prepared.network_margin_km))
    nodes, edges = road_tables(network)
    nodes.to_parquet(folder / ROAD_NODES_FILE, index=False)
    edges.to_parquet(folder / ROAD_EDGES_FILE, index=False)
    return _Roads(pbf, source, main_roads_from_tables(nodes, edges), prepared.network_margin_km)


def _outline(areas: gpd.GeoDataFrame) -> shapely.Geometry:
    """The locality's outline: its areas as one shape."""
    return shapely.union_all(areas.geometry.to_numpy())


def check_roads(root: Path | str, prepared: PreparedUpload) -> PreparedUpload:
    """Read an upload's road network (when it has one) and add its check to the report.

    The extract is read over the areas and their margin (``prepared.network_margin_km``) and
    its drive network checked for parts not connected to the rest
    (:func:`geo.ingest.networks.check_network`). The bytes are written to a temporary file
    inside the data folder (the reader needs a file), removed afterwards.
    """
    roads = prepared.uploads.roads
    if roads is None or prepared.areas is None or not prepared.report.passed:
        return prepared
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    scratch = _inside(root, root / f".tmp-check-{uuid.uuid4().hex[:8]}")
    path = scratch / safe_file_name(roads.name)
    try:
        scratch.mkdir()
        path.write_bytes(roads.content)
        within = network_extent(_outline(prepared.areas), prepared.network_margin_km)
        graph = build_mode_graph(network_from_pbf(path, within=within), "drive")
    except PlannerInputError as error:
        message = str(error).replace(f"{path}: ", "").replace(str(path), roads.name)
        issue = Issue("error", roads.name, None, None, message, "unreadable_file")
        return replace(prepared, report=prepared.report.with_issues([issue]), areas=None, services=None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    issues = check_network(graph.report, file=roads.name)
    report = prepared.report.with_issues(issues)
    uploads = replace(prepared.uploads, network=graph.report)
    if not report.passed:
        return replace(prepared, report=report, uploads=uploads, areas=None, services=None)
    return replace(prepared, report=report, uploads=uploads)


def version_folder(root: Path | str, version_id: str) -> Path:
    """The folder of a saved version (refusing anything that is not one)."""
    return _version_path(Path(root), version_id)


DEMO_VERSION = "demo"


def dataset_version_of(folder: Path | str) -> str:
    """The dataset version a locality folder holds: its id (``v0002``) when it is a saved
    version, else ``"demo"`` (the folder the app was started with).

    A new plan is pinned to this, so "what changed since" can later find the data it was
    made on.
    """
    path = Path(folder)
    if VERSION_PATTERN.match(path.name) and (path / MANIFEST_FILE).is_file():
        return path.name
    return DEMO_VERSION


def locality_folder(root: Path | str) -> Path | None:
    """The active version's folder when it is a locality the planner can load, else None.

    None when nothing is active, the pointer is damaged, or the active version has no
    road network; the app then uses its configured data folder (the demo by default).
    """
    try:
        version_id = active_version_id(root)
    except DatasetError:
        return None
    if version_id is None:
        return None
    return usable_version_folder(root, version_id)


def usable_version_folder(root: Path | str, version_id: str) -> Path | None:
    """A saved version's folder when it is a locality the planner can load (its areas and
    road network are there), else None (no such version, or one saved without roads)."""
    if not VERSION_PATTERN.match(version_id):
        return None
    folder = Path(root) / version_id
    needed = (LOCALITY_FILE, ROAD_NODES_FILE, ROAD_EDGES_FILE)
    return folder if all((folder / name).is_file() for name in needed) else None


# ---------------------------------------------------------------------------------------
# Writing, safely
# ---------------------------------------------------------------------------------------
def _write_version(folder: Path, prepared: PreparedUpload, changes: ChangeSummary, *,
                   version_id: str, parent: str | None, note: str, locality_name: str,
                   accepted: int, root: Path) -> None:
    import pyogrio

    areas = prepared.areas
    assert areas is not None
    sources = []
    (folder / "sources").mkdir()
    for role, upload in prepared.uploads.files():
        stored = f"sources/{role}-{safe_file_name(upload.name)}"
        _inside(folder, folder / stored).write_bytes(upload.content)
        sources.append({"role": role, "name": upload.name, "stored_as": stored,
                        "size_bytes": len(upload.content),
                        "sha256": hashlib.sha256(upload.content).hexdigest()})
    roads = _write_roads(folder, root, prepared, areas, version_id=version_id, parent=parent)
    places = _osm_places(roads.pbf_path, _outline(areas)) if roads.pbf_path else None
    towns, area_towns, towns_from = derive_towns(areas, places)
    areas = areas.assign(town=area_towns.to_numpy())
    services = prepared.services
    if services is not None and not services.empty:
        services = _services_in_towns(services, areas)
    gpkg = folder / LOCALITY_FILE
    pyogrio.write_dataframe(_plain(areas), gpkg, layer="areas", driver="GPKG")
    if services is not None and not services.empty:
        pyogrio.write_dataframe(_plain(services), gpkg, layer="services",
                                driver="GPKG", append=False)
    pyogrio.write_dataframe(_districts(areas), gpkg, layer="districts", driver="GPKG")
    county = gpd.GeoDataFrame({"name": [locality_name]},
                              geometry=[shapely.union_all(areas.geometry.to_numpy())],
                              crs=BRITISH_NATIONAL_GRID)
    pyogrio.write_dataframe(county, gpkg, layer="county", driver="GPKG")
    pyogrio.write_dataframe(_plain(towns), gpkg, layer="towns", driver="GPKG")
    if not roads.main_roads.empty:
        pyogrio.write_dataframe(roads.main_roads, gpkg, layer="main_roads", driver="GPKG")
    if prepared.lookup is not None:
        prepared.lookup.pairs.to_csv(folder / LOOKUP_FILE, index=False)
    timetable = _write_timetable(folder, root, prepared, parent)
    manifest = {
        "version_id": version_id,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": note,
        "parent": parent,
        "locality_name": locality_name,
        "n_areas": len(areas),
        "n_services": 0 if prepared.services is None else len(prepared.services),
        "pop_total": float(areas["pop_total"].sum()),
        "need_total": float(areas["need_weight"].sum()),
        "sources": sources,
        "changes": changes.to_dict(),
        "accepted_warnings": accepted,
        "has_lookup": prepared.lookup is not None,
        "roads_source": roads.source,
        "network_margin_km": roads.margin_km,
        "road_network": describe_network(roads.source.rsplit("/", 1)[-1].removeprefix("roads-")
                                         if roads.source else None, roads.margin_km),
        "towns_from": towns_from,
        "timetable": timetable,
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
    (folder / REPORT_FILE).write_text(json.dumps(prepared.report.to_dict(), indent=2), "utf-8")


def _write_timetable(folder: Path, root: Path, prepared: PreparedUpload, parent: str | None) -> str | None:
    """The version's timetable: the one uploaded with it, else the parent's; a line describing it."""
    upload, choice = prepared.uploads.timetable, prepared.timetable
    if upload is not None and choice is not None:
        write_timetable(folder, upload.content, choice, margin_km=prepared.network_margin_km)
        return timetable_summary(choice)
    if parent is not None and copy_timetable(_version_path(root, parent), folder):
        return timetable_summary(timetable_choice(folder))
    return None


def _remove_stale_staging(root: Path) -> None:
    """Remove temporary folders left by saves that were killed part-way (never versions)."""
    cutoff = dt.datetime.now(dt.UTC).timestamp() - STALE_STAGING_SECONDS
    for child in root.iterdir():
        if child.is_dir() and child.name.startswith(".tmp-") and child.stat().st_mtime < cutoff:
            shutil.rmtree(_inside(root, child), ignore_errors=True)


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GeoPackage can hold: text as str, flags as bool, numbers as float."""
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        if out[column].dtype == object or str(out[column].dtype) in ("str", "string"):
            out[column] = out[column].map(lambda v: "" if v is None else str(v)).astype(object)
    return out


def _districts(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Districts dissolved from the areas, each in the lot most of its residents are in."""
    rows = []
    for district, group in areas.groupby("district", sort=True):
        lot_pop = group.groupby("lot")["pop_total"].sum()
        rows.append({"district": str(district), "lot": str(lot_pop.idxmax()) if len(lot_pop) else "",
                     "geometry": shapely.union_all(group.geometry.to_numpy())})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BRITISH_NATIONAL_GRID)


def _read_manifest(folder: Path) -> DatasetVersion:
    path = folder / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DatasetVersion(
            version_id=folder.name, path=folder, created_utc=str(data["created_utc"]),
            note=str(data.get("note", "")), parent=data.get("parent"),
            locality_name=str(data.get("locality_name", "")), n_areas=int(data["n_areas"]),
            n_services=int(data["n_services"]), pop_total=float(data["pop_total"]),
            need_total=float(data["need_total"]),
            sources=tuple(SourceFile(**s) for s in data.get("sources", [])),
            changes=dict(data.get("changes", {})),
            accepted_warnings=int(data.get("accepted_warnings", 0)),
            has_lookup=bool(data.get("has_lookup", False)),
            has_roads=(folder / ROAD_NODES_FILE).is_file() and (folder / ROAD_EDGES_FILE).is_file(),
            towns_from=str(data.get("towns_from", "")),
            network_margin_km=(None if data.get("network_margin_km") is None
                               else float(data["network_margin_km"])),
            timetable=str(data.get("timetable") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{path}: cannot read the version's manifest ({error})") from error


def _number(version_id: str) -> int:
    match = VERSION_PATTERN.match(version_id)
    if not match:
        raise DatasetError(f"expected a version id like v0001, found {version_id!r}")
    return int(match.group(1))


def _version_path(root: Path, version_id: str) -> Path:
    """The folder of a saved version; refuses anything that is not one (no '..', no paths)."""
    _number(version_id)
    path = _inside(root, root / version_id)
    if not (path / MANIFEST_FILE).is_file():
        known = ", ".join(v.version_id for v in list_versions(root)) or "none"
        raise DatasetError(f"no saved version {version_id!r} in {root}; saved versions: {known}")
    return path


def _inside(root: Path, path: Path) -> Path:
    """``path``, after checking it resolves inside ``root`` (nothing is written elsewhere)."""
    resolved_root = root.resolve()
    resolved = path.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise DatasetError(f"refused to use {path}: it is outside the data folder {root}")
    return path


def _write_atomic(root: Path, path: Path, content: bytes) -> None:
    """Replace a small file in one step: write a temporary file beside it, then rename."""
    _inside(root, path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in sorted([folder, *(p for p in folder.rglob("*") if p.is_dir())]):
        _fsync_dir(path)


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One writer at a time per data folder (several app workers may save at once)."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: rely on the rename failing if a name is taken
        yield
        return
    with open(_inside(root, root / LOCK_FILE), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def version_summary_table(root: Path | str) -> pd.DataFrame:
    """One row per version for listings: id, active, created, areas, services, residents, need."""
    active = active_version_id(root)
    rows = [{
        "version": v.version_id, "active": v.version_id == active, "created_utc": v.created_utc,
        "parent": v.parent or "", "areas": v.n_areas, "services": v.n_services,
        "residents": v.pop_total, "need": v.need_total, "note": v.note,
    } for v in list_versions(root)]
    return pd.DataFrame(rows, columns=["version", "active", "created_utc", "parent", "areas",
                                       "services", "residents", "need", "note"])


__all__ = [
    "ChangeSummary", "DatasetError", "DatasetVersion", "SourceFile", "VersionLayers",
    "activate_version", "active_version", "active_version_id", "changes_since", "check_roads",
    "check_upload", "compare_layers", "dataset_version_of", "derive_towns", "get_version", "list_versions",
    "load_version_layers", "locality_folder", "main_roads_from_tables", "read_version_lookup",
    "road_tables", "save_version", "upload_dataset", "version_folder", "version_summary_table",
]
