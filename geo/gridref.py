"""British National Grid references as people type them: "SP 51000 06000", "SP5106", "451000, 206000".

A reference names a point in EPSG:27700 metres. Two letters name a 100 km square (the first a
500 km square, the second the 100 km square within it, each on a 5 x 5 grid of letters without
I); the digits that follow are the easting and northing within it, halves of equal length, to
10 km (1 digit each) down to 1 m (5 digits each). Plain numbers are easting and northing in
metres. Nothing here depends on the rest of the planner.
"""

from __future__ import annotations

import re

LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # the grid's 25 letters: no I
_LETTERED = re.compile(r"^([A-HJ-Z])([A-HJ-Z])\s*(\d+)\s*(\d*)$")
_NUMBERS = re.compile(r"^(\d{1,7}(?:\.\d+)?)\s*[,\s]\s*(\d{1,7}(?:\.\d+)?)$")


def _square_origin(first: str, second: str) -> tuple[int, int]:
    """The south-west corner (metres) of the 100 km square named by two letters."""
    a, b = LETTERS.index(first), LETTERS.index(second)  # the grid's false origin is in square S V
    east = ((a - 2) % 5) * 5 + b % 5
    north = (19 - (a // 5) * 5) - b // 5
    return east * 100_000, north * 100_000


def parse_grid_reference(text: str) -> tuple[float, float] | None:
    """(easting, northing) in metres for a typed grid reference, or None when it is not one.

    A lettered reference names the south-west corner of its square at its precision
    ("SP 51 06" is the kilometre square from 451000, 206000), plus half the square, so it
    points at the middle of what it names.
    """
    typed = " ".join(text.strip().upper().split())
    numbers = _NUMBERS.match(typed)
    if numbers:
        return float(numbers.group(1)), float(numbers.group(2))
    lettered = _LETTERED.match(typed)
    if not lettered:
        return None
    first, second, digits, more = lettered.groups()
    digits += more
    if len(digits) % 2 or not 2 <= len(digits) <= 10:
        return None
    half = len(digits) // 2
    unit = 10 ** (5 - half)  # metres per last digit
    east, north = _square_origin(first, second)
    return (east + int(digits[:half]) * unit + unit / 2, north + int(digits[half:]) * unit + unit / 2)
