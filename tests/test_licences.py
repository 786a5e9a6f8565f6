"""Every pinned package's licence, read from its installed metadata, is one this MIT project may use.

The licence is taken from the package's own metadata (``License-Expression``, else its
``License`` field, else its trove classifiers), turned into SPDX names and checked against
:data:`ALLOWED`. THIRD_PARTY_NOTICES.md must list each pinned package with that licence, so
the notices cannot fall behind the requirements.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_ROOT

REQUIREMENTS = ("requirements.txt", "requirements-test.txt")
# Permissive licences, and two weak (file- or library-level) copylefts an MIT project may use
# unmodified: psycopg (LGPL-3.0-only) and, for tests only, hypothesis (MPL-2.0). See THIRD_PARTY_NOTICES.md.
ALLOWED = frozenset({"MIT", "BSD", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "Apache-2.0", "ISC", "Zlib",
                     "CC0-1.0", "PSF-2.0", "MPL-2.0", "LGPL-3.0-only", "LGPL-3.0-or-later"})
# How packages without an SPDX expression name their licence, in the License field or a classifier.
SPDX_NAMES = {
    "MIT": "MIT", "MIT License": "MIT", "Apache License": "Apache-2.0", "Apache 2.0": "Apache-2.0",
    "Apache Software License": "Apache-2.0", "BSD-3-Clause": "BSD-3-Clause", "BSD 3-Clause": "BSD-3-Clause",
    "BSD-2-Clause": "BSD-2-Clause", "BSD License": "BSD", "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0", "Python Software Foundation License": "PSF-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only", "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
}
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)$")


def pinned(paths: Iterable[Path]) -> dict[str, str]:
    """Package name -> pinned version, from requirement files (``-r`` lines and comments skipped)."""
    pins: dict[str, str] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            line = line.split("#")[0].strip()
            if not line or line.startswith("-"):
                continue
            match = PIN.match(line)
            assert match, f"{path.name}: every requirement is pinned with ==, found {line!r}"
            pins[match.group(1)] = match.group(2)
    return pins


def licences(distribution: metadata.Distribution) -> list[str]:
    """The SPDX names of a distribution's licence (several when it combines them, as numpy's does)."""
    meta = distribution.metadata
    expression = meta.get("License-Expression")
    if expression:
        return sorted({token for token in re.split(r"[\s()]+", expression) if token and token not in ("AND", "OR")})
    field = (meta.get("License") or "").strip().splitlines()
    if field and field[0] in SPDX_NAMES:
        return [SPDX_NAMES[field[0]]]
    classified = {SPDX_NAMES.get(c.split(" :: ")[-1], c.split(" :: ")[-1])
                  for c in meta.get_all("Classifier") or [] if c.startswith("License ::") and "OSI Approved ::" in c}
    return sorted(classified) or licence_file_heading(distribution)


def licence_file_heading(distribution: metadata.Distribution) -> list[str]:
    """The licence named by the first line of the package's own licence file (``License-File``), when its
    metadata names none ("MIT License" -> MIT); else "unknown"."""
    for name in distribution.metadata.get_all("License-File") or []:
        text = distribution.read_text(f"licenses/{name}") or distribution.read_text(name) or ""
        heading = text.strip().splitlines()[0].strip() if text.strip() else ""
        if heading in SPDX_NAMES:
            return [SPDX_NAMES[heading]]
    return ["unknown"]


def disallowed(pins: dict[str, str], *, path: list[str] | None = None) -> dict[str, list[str]]:
    """Pinned packages whose licence is not on :data:`ALLOWED` (or is unknown), with what they declare."""
    refused: dict[str, list[str]] = {}
    for name in pins:
        found_here = metadata.distributions(name=name) if path is None else metadata.distributions(name=name, path=path)
        distribution = next(iter(found_here), None)
        assert distribution is not None, f"{name} is pinned but not installed"
        names = licences(distribution)
        if not set(names) <= ALLOWED:
            refused[name] = names
    return refused


def test_every_pinned_package_has_an_allowed_licence() -> None:
    pins = pinned(PROJECT_ROOT / name for name in REQUIREMENTS)
    assert len(pins) > 30
    assert disallowed(pins) == {}


def test_the_notices_list_every_pinned_package_with_its_licence() -> None:
    notices = (PROJECT_ROOT / "THIRD_PARTY_NOTICES.md").read_text()
    rows = {m.group(1): (m.group(2), m.group(3).strip())
            for m in re.finditer(r"^\| ([A-Za-z0-9_.\-]+) \| ([^|]+) \| ([^|]+) \|$", notices, re.M)}
    pins = pinned(PROJECT_ROOT / name for name in REQUIREMENTS)
    for name, version in pins.items():
        distribution = next(iter(metadata.distributions(name=name)))
        assert name in rows, f"THIRD_PARTY_NOTICES.md does not list {name}"
        assert rows[name][0].strip() == version, f"{name}: the notices say {rows[name][0]}, pinned {version}"
        assert set(re.split(r" AND ", rows[name][1])) == set(licences(distribution)), name
    assert (PROJECT_ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize(("declared", "expected"), [
    ("License-Expression: GPL-3.0-only\n", ["GPL-3.0-only"]),
    ("License: GPL\nClassifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)\n", ["GPL-3.0-only"]),
    ("License-Expression: AGPL-3.0-or-later\n", ["AGPL-3.0-or-later"]),
    ("Classifier: License :: Other/Proprietary License\n", ["unknown"]),
])
def test_a_pinned_package_under_a_licence_not_allowed_is_refused(tmp_path: Path, declared: str,
                                                                 expected: list[str]) -> None:
    """The check is not vacuous: pin a package whose metadata says GPL (or nothing usable) and it is refused."""
    info = tmp_path / "site" / "copyleftlib-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.4\nName: copyleftlib\nVersion: 1.0\n{declared}")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("copyleftlib==1.0\n")
    assert disallowed(pinned([requirements]), path=[str(tmp_path / "site")]) == {"copyleftlib": expected}
