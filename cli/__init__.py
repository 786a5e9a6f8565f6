"""Command-line tools for running the planner (``python -m cli.<tool> --help``)."""
