"""Per-process routers and weights for the locality, and scoring a plan through geo/.

Routers are built once per worker process for each travel mode and reused by every
request; they hold only the network and cached shortest-path columns (deterministic
values), never a user's state, so several workers can each hold their own.
"""

from __future__ import annotations

import functools

from dashboard.data_access import locality_for
from geo.access import AccessResult, AreaWeights, area_weights, hub_access
from geo.network import Mode, build_mode_graph, network_from_tables
from geo.scenarios import Hub
from geo.snapping import area_origins
from geo.traveltime import AreaRouter

DEFAULT_MODE: Mode = "drive"
# Columns of the groups other than population and need, which an upload may leave empty.
OPTIONAL_GROUP_COLUMNS = ("pop_female", "pop_18_24", "bme_share", "imd_decile", "smi_prevalence_pct")


@functools.lru_cache(maxsize=4)
def _network(folder: str):  # type: ignore[no-untyped-def]
    locality = locality_for(folder)
    return network_from_tables(locality.road_nodes, locality.road_edges)


@functools.lru_cache(maxsize=12)
def router_for(folder: str, mode: Mode = DEFAULT_MODE) -> AreaRouter:
    """The router from every area of the locality for one travel mode."""
    areas = locality_for(folder).areas
    graph = build_mode_graph(_network(folder), mode)
    return AreaRouter(graph, area_origins(areas), areas["code"].tolist())


@functools.lru_cache(maxsize=4)
def weights_for(folder: str) -> AreaWeights:
    """Each group's weight per area; a group whose figures the locality lacks is left out.

    An uploaded locality may leave optional columns empty (no figures by sex, say: see
    geo/io.py), and a group with an unknown weight cannot be scored, so it is not shown.
    """
    areas = locality_for(folder).areas
    unknown = [c for c in OPTIONAL_GROUP_COLUMNS if c in areas.columns and areas[c].isna().any()]
    return area_weights(areas.drop(columns=unknown))


def score_plan(folder: str, hubs: tuple[Hub, ...], mode: Mode = DEFAULT_MODE) -> AccessResult:
    """Access figures for a plan's hubs (one shortest-path search per hub not seen before)."""
    return hub_access(router_for(folder, mode), hubs, weights_for(folder))
