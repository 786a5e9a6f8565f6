"""Check and load an analyst's data, and manage dataset versions, from the command line.

``python -m cli.data validate --areas lsoa.geojson --indicators population.csv imd.csv``
prints the validation report (``--timetable feed.zip`` adds a public-transport timetable,
read for ``--service-date`` and ``--window``); ``upload`` (same options) saves the files as a new
dataset version when they pass; ``versions`` lists the saved versions; ``activate``
switches the version the app uses; ``changes --since v0001`` says what changed since a
scenario's version; ``aliases`` prints the header names the readers accept. These call
the same functions the app does (:mod:`geo.ingest.datasets`, :mod:`geo.ingest.uploads`).

The data folder is ``--data`` if given, else ``datasets/`` in INSTANCE_FOLDER (by
default ``instance/`` at the repo top). Exit status: 0 when done, 1 when the files have
errors or the request cannot be met (the message says why), 2 for a malformed command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from geo.errors import PlannerError
from geo.ingest.columns import alias_table
from geo.ingest.datasets import (
    activate_version,
    changes_since,
    check_roads,
    check_upload,
    save_version,
    version_summary_table,
)
from geo.ingest.files import DEFAULT_LIMITS, Upload, UploadLimits, upload_from_path
from geo.ingest.lookups import read_code_lookup
from geo.ingest.networks import DEFAULT_NETWORK_MARGIN_KM, MAX_NETWORK_MARGIN_KM
from geo.ingest.report import worded
from geo.ingest.uploads import PreparedUpload, UploadOptions, UploadSet
from geo.transit import TimetableChoice

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_folder(cli_folder: str | None, environ: dict[str, str] | None = None) -> Path:
    """The data folder: the option, else INSTANCE_FOLDER/datasets, else instance/datasets."""
    env = os.environ if environ is None else environ
    if cli_folder:
        return Path(cli_folder)
    return Path(env.get("INSTANCE_FOLDER") or PROJECT_ROOT / "instance") / "datasets"


def _column_pairs(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise PlannerError(f"--column expects HEADER=our_name (for example "
                               f"'All Ages=pop_total'); found {pair!r}")
        mapping[source.strip()] = target.strip()
    return mapping


def _options(args: argparse.Namespace) -> UploadOptions:
    limits = DEFAULT_LIMITS
    if args.max_upload_mb is not None:
        limits = UploadLimits(max_upload_bytes=int(args.max_upload_mb * 2**20))
    crs: str | int | None = args.crs
    return UploadOptions(crs=crs, layer=args.layer, columns=_column_pairs(args.column),
                         sheet=args.sheet, adult_share=args.adult_share,
                         locality_name=args.locality_name, limits=limits,
                         network_margin_km=args.network_margin_km, timetable=_timetable_choice(args),
                         header_row=args.header_row)


def _timetable_choice(args: argparse.Namespace) -> TimetableChoice:
    """The service day and window for ``--timetable`` (the feed's busiest weekday and 08:00-10:00 by default)."""
    day = None
    if args.service_date:
        try:
            day = dt.date.fromisoformat(args.service_date)
        except ValueError as error:
            raise PlannerError(
                f"--service-date expects a date such as 2023-06-13; found {args.service_date!r}") from error
    start, sep, end = (args.window or "").partition("-")
    if args.window and not sep:
        raise PlannerError(f"--window expects HH:MM-HH:MM such as 08:00-10:00; found {args.window!r}")
    choice = TimetableChoice(service_date=day) if not args.window else TimetableChoice(
        service_date=day, window_start=start.strip(), window_end=end.strip())
    choice.settings()  # a malformed or empty window is refused here, with its reason
    return choice


def _upload_set(args: argparse.Namespace, options: UploadOptions) -> UploadSet:
    def read(path: str | None) -> Upload | None:
        return None if path is None else upload_from_path(path, limits=options.limits)

    indicators = tuple(upload_from_path(p, limits=options.limits) for p in args.indicators)
    roads = None
    if args.roads is not None:
        roads_path = Path(args.roads)
        if not roads_path.is_file():
            raise PlannerError(f"{roads_path}: file not found")
        roads = Upload(roads_path.name, roads_path.read_bytes())
    return UploadSet(areas=read(args.areas), indicators=indicators, services=read(args.services),
                     lookup=read(args.lookup), roads=roads, timetable=read(args.timetable))


def _check(args: argparse.Namespace, out: TextIO) -> tuple[PreparedUpload, UploadOptions]:
    options = _options(args)
    root = data_folder(args.data)
    prepared = check_roads(root, check_upload(root, _upload_set(args, options), options=options))
    if args.json:
        out.write(json.dumps(prepared.report.to_dict(), indent=2) + "\n")
    else:
        out.write(prepared.report.to_text() + "\n")
    return prepared, options


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    prepared, _ = _check(args, out)
    return 0 if prepared.report.passed else 1


def _upload(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    prepared, options = _check(args, out)
    notes = err if args.json else out  # keep standard output pure JSON
    if not prepared.report.passed:
        notes.write("Nothing was saved: fix the errors above and upload again.\n")
        return 1
    if prepared.report.warnings and not args.accept_warnings:
        notes.write("Nothing was saved: review the warnings above, then run again with "
                    "--accept-warnings to save as it is.\n")
        return 1
    digest = prepared.report.warnings_digest if args.accept_warnings else None
    version = save_version(data_folder(args.data), prepared, accepted_warnings=digest,
                           note=args.note, activate=not args.no_activate,
                           locality_name=options.locality_name)
    state = "and made active" if not args.no_activate else "(not made active)"
    notes.write(f"Saved {version.version_id} {state}: {version.n_areas:,} areas, "
                f"{version.n_services:,} services, {version.pop_total:,.0f} residents.\n")
    if version.timetable:
        notes.write(f"Public transport: {version.timetable}.\n")
    return 0


def _versions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    table = version_summary_table(data_folder(args.data))
    if args.json:
        out.write(table.to_json(orient="records", indent=2) + "\n")
    elif table.empty:
        out.write(f"No versions saved in {data_folder(args.data)}.\n")
    else:
        for row in table.itertuples():
            mark = "*" if row.active else " "
            out.write(f"{mark} {row.version}  {row.created_utc}  {row.areas:>6,} areas  "
                      f"{row.services:>4,} services  {row.residents:>12,.0f} residents  "
                      f"{row.note}\n")
        out.write("(* = active)\n")
    return 0


def _activate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    version = activate_version(data_folder(args.data), args.version)
    out.write(f"{version.version_id} is now the active version.\n")
    return 0


def _changes(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = data_folder(args.data)
    lookup = None
    if args.lookup is not None:
        lookup = read_code_lookup(upload_from_path(args.lookup))
    summary = changes_since(root, args.since, to_version=args.to, lookup=lookup)
    if args.json:
        out.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    else:
        out.write(summary.to_text() + "\n")
    return 0


def _aliases(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    out.write(alias_table() + "\n")
    return 0


def _add_file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--areas", help="area boundaries: GeoJSON, GeoPackage, zipped Shapefile "
                        "or TopoJSON")
    parser.add_argument("--indicators", nargs="*", default=[], metavar="FILE",
                        help="CSV or XLSX tables keyed by area code")
    parser.add_argument("--services", help="CSV or XLSX of services")
    parser.add_argument("--lookup", help="CSV or XLSX of old and new area codes")
    parser.add_argument("--roads", help="OpenStreetMap .osm.pbf extract (checked for "
                        "disconnected parts and kept with the version)")
    parser.add_argument("--timetable", help="public transport timetable: a GTFS zip (e.g. from the Bus Open "
                        "Data Service); stops within the locality and its margin are kept")
    parser.add_argument("--service-date", help="the weekday to route on, YYYY-MM-DD (default: the "
                        "feed's busiest weekday)")
    parser.add_argument("--window", help="departure window, HH:MM-HH:MM (default 08:00-10:00)")
    parser.add_argument("--crs", help="projection of an areas file that declares none, "
                        "e.g. EPSG:27700")
    parser.add_argument("--layer", help="layer (or shapefile) holding the areas")
    parser.add_argument("--sheet", help="Excel sheet to read")
    parser.add_argument("--header-row", type=int, help="the row of the CSV and Excel tables holding the column "
                                                        "names (counted from 1), when the checks do not find it")
    parser.add_argument("--column", action="append", default=[], metavar="HEADER=NAME",
                        help="map a header to one of our columns, e.g. 'All Ages=pop_total' "
                        "(repeatable)")
    parser.add_argument("--adult-share", type=float, help="estimate adults as this share of "
                        "residents when no adult counts are given, e.g. 0.79")
    parser.add_argument("--locality-name", default="Uploaded locality")
    parser.add_argument("--network-margin-km", type=float, default=DEFAULT_NETWORK_MARGIN_KM,
                        help="how far beyond the areas' boundary roads are kept, so journeys may leave and "
                             f"re-enter the locality (km, 0 to {MAX_NETWORK_MARGIN_KM:g}; default "
                             f"{DEFAULT_NETWORK_MARGIN_KM:g})")
    parser.add_argument("--max-upload-mb", type=float, help="largest file accepted (MB)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cli.data",
                                     description="Check and load area data; manage dataset versions.")
    parser.add_argument("--data", help="data folder (default: INSTANCE_FOLDER/datasets)")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check files and print the report")
    _add_file_options(validate)
    validate.set_defaults(run=_validate)

    upload = commands.add_parser("upload", help="check files and save them as a new version")
    _add_file_options(upload)
    upload.add_argument("--accept-warnings", action="store_true",
                        help="save even though the report lists warnings")
    upload.add_argument("--note", default="", help="a note kept with the version")
    upload.add_argument("--no-activate", action="store_true",
                        help="save without making the new version active")
    upload.set_defaults(run=_upload)

    versions = commands.add_parser("versions", help="list saved versions")
    versions.add_argument("--json", action="store_true")
    versions.set_defaults(run=_versions)

    activate = commands.add_parser("activate", help="make a saved version the active one")
    activate.add_argument("version", help="version id, e.g. v0002")
    activate.set_defaults(run=_activate)

    changes = commands.add_parser("changes", help="what changed since a version")
    changes.add_argument("--since", required=True, help="the older version, e.g. v0001")
    changes.add_argument("--to", help="the newer version (default: the active one)")
    changes.add_argument("--lookup", help="CSV or XLSX of old and new area codes")
    changes.add_argument("--json", action="store_true")
    changes.set_defaults(run=_changes)

    aliases = commands.add_parser("aliases", help="print the header names the readers accept")
    aliases.set_defaults(run=_aliases)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run one command; a user's mistake prints a message (no traceback) and returns 1."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    if (args.command in ("validate", "upload") and args.areas is None and args.services is None
            and args.timetable is None):
        err.write("error: give --areas (with --indicators), --services or --timetable\n")
        return 2
    try:
        return int(args.run(args, out, err))
    except PlannerError as error:
        err.write(f"error: {worded(str(error))}\n")
        return 1
    except MemoryError:
        err.write("error: the files are too big to check in memory; split or simplify them\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
