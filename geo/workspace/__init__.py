"""Workspace: the scenario store, local accounts, follow mode, appraisals and their join codes (SQL through SQLAlchemy).

May import the analysis modules at geo/ top level (scenario contents) and geo.errors; never
geo.ingest and never Dash.
"""
