"""Ingest: read an analyst's files, check them, and keep each accepted upload as a data version.

May import the analysis modules at geo/ top level (the locality contracts, the network) and
geo.errors; never geo.workspace (the store of scenarios and accounts) and never Dash.
"""
