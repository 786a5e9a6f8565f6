"""Which view the address bar asks for: the planner (always in the page) or another view.

The planner stays in the page and is only hidden when another view is open, so its map is
never rebuilt. Other views register a builder with :func:`page_route`; the router calls it
with the query-string values and shows what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import dash
from dash import Input, Output, html

from dashboard import ids
from dashboard.callbacks import CallbackRegistry
from geo.errors import PlannerInputError

CALLBACKS = CallbackRegistry()
PageBuilder = Callable[[dict[str, str]], Any]
PAGES: dict[str, tuple[str, PageBuilder]] = {}
PLANNER_PATH = "/"
SCENARIO_PATH = "/scenario"
MAX_VERSION_DIGITS = 9  # /scenario/<slug>[?version=N]: the planner with a saved scenario open


def page_route(path: str, title: str) -> Callable[[PageBuilder], PageBuilder]:
    """Register ``builder`` as the view at ``path`` (e.g. "/compare"), named ``title`` in the menu."""

    def register(builder: PageBuilder) -> PageBuilder:
        PAGES[path] = (title, builder)
        return builder

    return register


def version_number(text: str | None) -> int | None:
    """A version asked for in an address ("?version=3"): None when not asked; a clear error for "²" or "-1"."""
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_VERSION_DIGITS or int(text) < 1:
        raise PlannerInputError(f"The address asks for version {text[:20]!r}; versions are numbered 1, 2, 3 ...")
    return int(text)


def query_values(search: str | None) -> dict[str, str]:
    """The first value of each query-string key: "?a=1&b=2" -> {"a": "1", "b": "2"}."""
    return {key: values[0] for key, values in parse_qs((search or "").lstrip("?")).items()}


def not_found(path: str) -> html.Div:
    return html.Div(className="page-message", children=[
        html.H2("There is no page here", className="h4"),
        html.P(f"Nothing is published at {path}."),
        html.A("Back to the planner", href=PLANNER_PATH),
    ])


@CALLBACKS.callback(Output(ids.PLANNER_VIEW, "hidden"), Output(ids.PAGE_VIEW, "children"),
                    Input(ids.URL, "pathname"), Input(ids.URL, "search"))
def route(pathname: str | None, search: str | None) -> tuple[bool, Any]:
    path = (pathname or PLANNER_PATH).rstrip("/") or PLANNER_PATH
    if path == PLANNER_PATH or path.startswith(SCENARIO_PATH + "/"):
        return False, None
    for prefix, (_, builder) in PAGES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return True, builder({**query_values(search), "path": path})
    return True, not_found(path)


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
