"""Placement: where hubs should go, on a travel-time matrix, each answer with its certificate.

:mod:`geo.placement.models` holds the four models (p-median, maximal coverage, p-centre,
equity p-median) on plain arrays; :mod:`~geo.placement.heuristics`,
:mod:`~geo.placement.bounds` and :mod:`~geo.placement.milp` solve and prove them;
:mod:`~geo.placement.capacitated` and :mod:`~geo.placement.regroup` search when hubs have
limited places;
:mod:`~geo.placement.candidates` and :mod:`~geo.placement.suggest` adapt a locality and a plan
to them; :mod:`~geo.placement.orlib` reads the OR-Library test problems they are checked on.
May import the analysis modules at geo/ top level and geo.errors; never geo.ingest,
geo.workspace or Dash.
"""
