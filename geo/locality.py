"""A locality: its areas, services, places and roads, and the columns each layer carries.

The column contracts here are what every reader promises and every analysis may rely on.
The demo has every column filled in. A locality built from an analyst's upload may leave
optional values out (nobody has prevalence or age bands for every place), so only the
columns the planner cannot work without are required; the others get the defaults in
:data:`AREA_DEFAULTS` and the layers in :data:`OPTIONAL_LAYERS` may be missing or empty.
Reading a locality from disk is :func:`geo.ingest.locality_files.load_locality`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

BRITISH_NATIONAL_GRID = 27700
DEMO_FOLDER = Path(__file__).resolve().parents[1] / "data" / "demo"

AREA_COLUMNS = (
    "code", "name", "district", "town", "lot", "pop_total", "pop_male", "pop_female",
    "pop_under_18", "pop_18_24", "pop_25_34", "pop_35_49", "pop_50_64", "pop_65_plus",
    "pop_adult", "bme_share", "imd_score", "imd_decile", "smi_prevalence_pct",
    "cmd_prevalence_pct", "need_index", "need_weight", "pwc_x", "pwc_y", "area_km2",
)
SERVICE_COLUMNS = (
    "service_id", "name", "service_type", "provider", "district", "town", "budget_gbp",
    "budget_day_activity_gbp", "budget_employment_gbp", "budget_mainstream_gbp", "clients",
    "clients_female", "clients_18_24", "clients_bme", "clients_over_50", "functions",
    "opening_days", "locality_wide",
)
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "county": ("name",),
    "districts": ("district", "lot"),
    "areas": AREA_COLUMNS,
    "towns": ("name", "district", "population", "is_biggest"),
    "services": SERVICE_COLUMNS,
    "main_roads": ("road_class",),
}
NODE_COLUMNS = ("node_id", "x", "y")
EDGE_COLUMNS = ("u", "v", "road_class", "length_m", "oneway")
NUMERIC_AREA_COLUMNS = tuple(c for c in AREA_COLUMNS if c not in {"code", "name", "district", "town", "lot"})

# Columns every area must have, filled in. The planner cannot count people without them.
REQUIRED_AREA_COLUMNS = ("code", "name", "pop_total", "pop_adult")
# What a missing column or an empty value of the other area columns becomes:
# - district: the locality's name (the county layer's name); town: "Unknown"; lot: "Central";
# - pop_under_18: pop_total - pop_adult; need_index: 100 (county average need per adult);
#   need_weight: pop_adult x need_index / 100; area_km2: the polygon's area;
# - pwc_x, pwc_y (population-weighted centroid): left empty when not known; journeys then
#   start at a point inside the polygon (geo.snapping.area_origins), never stored here;
# - every other number (sex, age bands, ethnicity, deprivation, prevalence): left empty
#   (NaN), meaning "not known", never zero.
AREA_DEFAULTS: dict[str, str] = {
    "district": "the locality's name",
    "town": "Unknown",
    "lot": "Central",
    "pop_under_18": "pop_total - pop_adult",
    "need_index": "100",
    "need_weight": "pop_adult x need_index / 100",
    "pwc_x": "empty (journeys start at a point inside the polygon)",
    "pwc_y": "empty (journeys start at a point inside the polygon)",
    "area_km2": "the polygon's area",
}
UNKNOWN_TOWN = "Unknown"
DEFAULT_LOT = "Central"
# Layers an uploaded locality may leave out or leave empty: a locality may have no
# services on record yet, and main roads are only drawn.
OPTIONAL_LAYERS = ("services", "main_roads")

SERVICE_FUNCTIONS = {
    "social_contact": "Social contact",
    "structured_activity": "Structured activity",
    "skills": "Skills and training",
    "employment_support": "Employment support",
    "job_retention": "Job retention",
    "sheltered_employment": "Sheltered employment",
    "mainstream_participation": "Support into mainstream activities",
    "peer_support": "User-led and peer support",
}


@dataclass(frozen=True)
class Locality:
    """One locality's areas, services, places and roads, in British National Grid metres."""

    name: str
    is_fictional: bool
    county: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    main_roads: gpd.GeoDataFrame
    road_nodes: pd.DataFrame
    road_edges: pd.DataFrame
    road_network: str = ""  # what the road network includes, in words (for the pack and the data page)

    @property
    def biggest_town(self) -> str:
        """Name of the town with the most residents."""
        return str(self.towns.loc[self.towns["is_biggest"], "name"].iloc[0])
