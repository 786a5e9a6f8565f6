"""Day Services Planner core: areas, travel times, access, equity, placement and more.

Pure Python (numpy, pandas, geopandas, scipy); never imports Dash, so it can be used
from a notebook. Modules are one concern each; import what you need from them.
"""

from geo.errors import DataFileError, PlannerError, PlannerInputError
from geo.io import Locality, load_locality

__all__ = ["DataFileError", "Locality", "PlannerError", "PlannerInputError", "load_locality"]
