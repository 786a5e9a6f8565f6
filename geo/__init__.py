"""Day Services Planner core: areas, travel times, access, equity, placement and more.

Pure Python (numpy, pandas, geopandas, scipy); never imports Dash, so it can be used from a
notebook. The analysis modules sit at this top level, one concern each (the locality and its
column contracts, network, travel times, access, equity, investment, outcomes, scenarios);
the packages are by trade: :mod:`geo.placement` (where hubs should go), :mod:`geo.ingest`
(read, check and version data) and :mod:`geo.workspace` (the store, accounts, follow mode).
Analysis modules never import ingest or workspace; ingest never imports workspace.
"""

from geo.errors import DataFileError, PlannerError, PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.locality import Locality

__all__ = ["DataFileError", "Locality", "PlannerError", "PlannerInputError", "load_locality"]
