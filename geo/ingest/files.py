"""Uploaded files: size limits, archive safety (zip bombs, zip slip) and what format a file really is."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from geo.errors import UnsafeUploadError, UploadError
from geo.ingest.report import short_list

XLSX_MEMBER = "xl/workbook.xml"


@dataclass(frozen=True)
class UploadLimits:
    """How big an upload may be; archive limits guard against zip bombs."""

    max_upload_bytes: int = 100 * 2**20
    max_archive_members: int = 200
    max_uncompressed_bytes: int = 1024 * 2**20
    max_compression_ratio: float = 200.0


DEFAULT_LIMITS = UploadLimits()


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the analyst gave it (no folders) and its bytes."""

    name: str
    content: bytes = field(repr=False)

    @property
    def suffix(self) -> str:
        """The file's lower-case extension, ``.geojson``, ``.csv`` and so on."""
        return PurePosixPath(self.name.lower()).suffix


def upload_from_bytes(name: str, content: bytes, *, limits: UploadLimits = DEFAULT_LIMITS) -> Upload:
    """Wrap uploaded bytes, refusing them when larger than ``limits.max_upload_bytes``."""
    clean = safe_file_name(name)
    if len(content) > limits.max_upload_bytes:
        raise UnsafeUploadError(
            f"{clean}: the file is {megabytes(len(content))}; expected at most "
            f"{megabytes(limits.max_upload_bytes)} (the upload size limit)")
    if not content:
        raise UploadError(f"{clean}: the file is empty")
    return Upload(clean, content)


def upload_from_path(path: Path | str, *, limits: UploadLimits = DEFAULT_LIMITS) -> Upload:
    """Read a file from disk as an upload, checking its size before reading it."""
    path = Path(path)
    if not path.is_file():
        raise UploadError(f"{path}: file not found")
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        raise UnsafeUploadError(
            f"{path.name}: the file is {megabytes(size)}; expected at most "
            f"{megabytes(limits.max_upload_bytes)} (the upload size limit)")
    return upload_from_bytes(path.name, path.read_bytes(), limits=limits)


def safe_file_name(name: str) -> str:
    """The last part of a name with only safe characters, for messages and storage."""
    base = re.split(r"[\\/]", str(name))[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", base).strip(". ")
    return base[:120] or "upload"


def megabytes(size: int) -> str:
    """A size people read at a glance: bytes, KB or MB."""
    if size < 2**10:
        return f"{size:,} bytes"
    if size < 2**20:
        return f"{size / 2**10:,.1f} KB"
    return f"{size / 2**20:,.1f} MB"


def check_archive(upload: Upload, *, limits: UploadLimits = DEFAULT_LIMITS) -> list[zipfile.ZipInfo]:
    """Refuse zip archives that could harm the server, before anything is extracted.

    Checks the number of members, their total uncompressed size, each member's
    compression ratio (zip bombs), and that no member is a link, encrypted, or named with
    an absolute path or ``..`` (zip slip). Returns the members worth reading (folders and
    macOS resource forks left out).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.content))
    except (zipfile.BadZipFile, OSError) as error:
        raise UploadError(f"{upload.name}: expected a zip archive, but it cannot be opened "
                          f"({error})") from error
    members = archive.infolist()
    if len(members) > limits.max_archive_members:
        raise UnsafeUploadError(
            f"{upload.name}: the archive has {len(members):,} files; expected at most "
            f"{limits.max_archive_members:,}")
    total = 0
    for member in members:
        name = member.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise UnsafeUploadError(
                f"{upload.name}: the archive member {name!r} points outside the archive; "
                "refused (expected plain relative names)")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise UnsafeUploadError(f"{upload.name}: the archive member {name!r} is a link; refused")
        if member.flag_bits & 0x1:
            raise UnsafeUploadError(f"{upload.name}: the archive member {name!r} is encrypted; refused")
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 2**20 and ratio > limits.max_compression_ratio:
            raise UnsafeUploadError(
                f"{upload.name}: the archive member {name!r} expands {ratio:,.0f} times "
                f"(to {megabytes(member.file_size)}); expected at most "
                f"{limits.max_compression_ratio:,.0f} times (a zip bomb?)")
    if total > limits.max_uncompressed_bytes:
        raise UnsafeUploadError(
            f"{upload.name}: the archive expands to {megabytes(total)}; expected at most "
            f"{megabytes(limits.max_uncompressed_bytes)}")
    return [m for m in members if not m.is_dir() and not _is_junk(m.filename)]


def _is_junk(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return "__MACOSX" in path.parts or path.name.startswith("._") or path.name == ".DS_Store"


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, upload: Upload) -> bytes:
    """One member's bytes; zipfile stops at the declared size, so a lying header cannot
    make this bigger than :func:`check_archive` allowed."""
    try:
        with archive.open(member) as handle:
            return handle.read(member.file_size + 1)[: member.file_size]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise UploadError(f"{upload.name}: cannot read {member.filename!r} from the archive "
                          f"({error})") from error


FileFormat = Literal["csv", "xlsx", "geojson", "topojson", "gpkg", "shapefile_zip"]


def detect_format(upload: Upload, *, limits: UploadLimits = DEFAULT_LIMITS) -> FileFormat:
    """What a file is, from its first bytes (the extension can lie)."""
    head = upload.content[:64]
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError(f"{upload.name}: this is an old Excel (.xls) file; expected .xlsx or "
                          "CSV: open it in a spreadsheet and save it as .xlsx")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        members = check_archive(upload, limits=limits)
        names = {m.filename for m in members}
        if XLSX_MEMBER in names:
            return "xlsx"
        if any(n.lower().endswith(".shp") for n in names):
            return "shapefile_zip"
        raise UploadError(f"{upload.name}: a zip archive with no shapefile (.shp) and not an "
                          f"Excel workbook; found {short_list(sorted(names))}")
    if upload.suffix == ".shp":
        raise UploadError(f"{upload.name}: a shapefile is several files (.shp, .shx, .dbf, .prj); "
                          "expected them zipped together into one .zip")
    text_start = _sniff_text(upload.content[:4096])
    if text_start.lstrip().startswith("{"):
        return "topojson" if re.search(r'"type"\s*:\s*"Topology"', text_start) else "geojson"
    if upload.suffix in (".geojson", ".json", ".topojson"):
        raise UploadError(f"{upload.name}: expected GeoJSON or TopoJSON (text starting with '{{'); "
                          "found something else")
    if upload.suffix in (".gpkg", ".xlsx", ".zip"):
        raise UploadError(f"{upload.name}: the file is not a valid {upload.suffix[1:]} file "
                          "(it may be damaged or cut short)")
    return "csv"


def _sniff_text(head: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16", "cp1252", "latin-1"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return ""


FORMAT_NAMES: dict[str, str] = {
    "csv": "CSV", "xlsx": "Excel", "geojson": "GeoJSON", "topojson": "TopoJSON",
    "gpkg": "GeoPackage", "shapefile_zip": "zipped Shapefile",
}
