"""Grid references as people type them, against points whose references are known."""

from __future__ import annotations

import pytest

from geo.gridref import parse_grid_reference


@pytest.mark.parametrize(("typed", "expected"), [
    ("SP 51000 06000", (451_000.5, 206_000.5)),  # Oxford, to the metre
    ("sp5100006000", (451_000.5, 206_000.5)),
    ("SP 51 06", (451_500.0, 206_500.0)),  # the kilometre square's middle
    ("TQ 30080 80380", (530_080.5, 180_380.5)),  # central London
    ("NT 2570 7330", (325_705.0, 673_305.0)),  # Edinburgh, to 10 m
    ("SV 9000 1000", (90_005.0, 10_005.0)),  # the Isles of Scilly: the grid's south-west square
    ("HU 4000 4000", (440_005.0, 1_140_005.0)),  # Shetland
    ("451000, 206000", (451_000.0, 206_000.0)),  # plain easting and northing
    ("451000 206000", (451_000.0, 206_000.0)),
])
def test_references_name_the_point_they_should(typed: str, expected: tuple[float, float]) -> None:
    assert parse_grid_reference(typed) == pytest.approx(expected)


@pytest.mark.parametrize("typed", ["", "Kingsmere", "SP 510 06", "SI 1234", "SP", "12345678, 5", "town:Kingsmere"])
def test_other_text_is_not_a_reference(typed: str) -> None:
    assert parse_grid_reference(typed) is None
