"""The page: a header naming the tool and the data, the map, and the side panels."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import (
    ids,
    investment_panel,
    map_panel,
    outcomes_panel,
    planning_panel,
    provision_panel,
    scenario_bar,
    suggest_panel,
)
from dashboard.attrs import attrs
from dashboard.config import Settings, settings_from_env
from dashboard.store_access import current_settings
from geo.ingest.datasets import dataset_version_of
from geo.locality import Locality
from geo.provision import summarise_provision

NAV_LINKS = (("Plan", "/"), ("Compare", "/compare"), ("Appraise", "/appraise"), ("Present", "/present"),
             ("Data", "/data"))


def navigation() -> html.Nav:
    """Links between the views; they change the address without reloading the page."""
    return html.Nav(id=ids.NAV, className="app-nav", **attrs({"aria-label": "Views"}), children=[
        dcc.Link(label, href=href, className="app-nav-link") for label, href in NAV_LINKS])


def header(locality: Locality) -> html.Header:
    badge = "Fictional demo data" if locality.is_fictional else "Local data"
    return html.Header(className="app-header", children=[
        html.Div(className="app-title", children=[
            html.H1("Day Services Planner", className="h3 mb-0"),
            html.Span("Plan adult mental-health day and vocational services", className="app-subtitle"),
        ]),
        navigation(),
        html.Div(className="app-dataset", children=[
            html.Span(locality.name, className="dataset-name"),
            dbc.Badge(badge, color="warning" if locality.is_fictional else "info", text_color="dark",
                      className="ms-2 dataset-badge"),
        ]),
    ])


def page(locality: Locality, folder: str) -> html.Div:
    """The whole first screen."""
    from dashboard import appraisal_page, compare_page, present_page  # noqa: F401  (their views register)

    first = planning_panel.first_screen(locality, folder,
                                        planning_panel.initial_plan(folder, dataset_version_of(folder)))
    return html.Div(className="app-shell", children=[
        *skip_links(),
        header(locality),
        html.Div(id=ids.DATA_CHANGED_NOTICE, hidden=True, role="alert", className="alert alert-warning m-2"),
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        html.Main(id=ids.PLANNER_VIEW, className="app-main", disable_n_clicks=True, children=[
            planning_panel.kpi_band(first.figures),
            html.Div(className="map-column", id=ids.MAP_COLUMN, tabIndex="-1", children=[
                map_panel.layout(locality, folder, first.fill, app_settings()),
                map_panel.map_key(first.legend),
            ]),
            html.Aside(className="side-column", id=ids.SIDE_COLUMN, tabIndex="-1",
                       **attrs({"aria-label": "Plan, money and outcomes"}), children=[
                scenario_bar.layout(),
                planning_panel.plan_bar(folder, dataset_version_of(folder)),
                side_tabs(locality, folder, first),
                provision_panel.layout(summarise_provision(locality)),
                html.P(footer_text(locality, dataset_version_of(folder)), className="side-footer small"),
            ]),
        ]),
        html.Div(id=ids.PAGE_VIEW, className="page-view", tabIndex="-1"),
        html.Footer(className="app-footer small", children=footer_text(locality, dataset_version_of(folder))),
    ])


def app_settings() -> Settings:
    """The serving app's settings; outside a request (gunicorn's warm-up builds the page first), the environment's."""
    import flask

    return current_settings() if flask.has_app_context() else settings_from_env()


def skip_links() -> list[html.A]:
    """Skip links to what each page has: the planner's map and side panels, or another view's page.
    The stylesheet shows only those whose target is on show (the planner is hidden on other views)."""
    return [
        html.A("Skip to the map", href=f"#{ids.MAP_COLUMN}", className="skip-link skip-planner"),
        html.A("Skip to the side panels", href=f"#{ids.SIDE_COLUMN}", className="skip-link skip-planner"),
        html.A("Skip to the page", href=f"#{ids.PAGE_VIEW}", className="skip-link skip-page"),
    ]


def side_tabs(locality: Locality, folder: str, first: planning_panel.FirstScreen | None = None) -> html.Div:
    """The panels in three tabs, so a room sees one short column, not a very long one.

    Only the open tab's panels are on the page, so every update is cheaper with fewer
    components on it; money by place is worked out only while a tab showing it is open
    (its figures follow a moment after the tab opens).
    """
    return html.Div([dcc.Store(id=ids.PLACES_PLAN), dcc.Tabs(
        id=ids.SIDE_TABS, value=ids.TAB_PLAN, className="side-tabs", parent_className="side-tabs-parent", children=[
        dcc.Tab(label="Plan", value=ids.TAB_PLAN, children=html.Div(className="side-tab-body", children=[
            planning_panel.layout(locality, folder, first),
            suggest_panel.layout(folder),
        ])),
        dcc.Tab(label="Money and fairness", value=ids.TAB_MONEY, children=html.Div(
            investment_panel.layout(locality), className="side-tab-body")),
        dcc.Tab(label="Outcomes", value=ids.TAB_OUTCOMES, children=html.Div(
            outcomes_panel.layout(), className="side-tab-body")),
    ])])


def footer_text(locality: Locality, dataset_version: str) -> str:
    """Where the data comes from: made up for the demo, or an uploaded version's."""
    if locality.is_fictional:
        source = "every place, person and service in this demo is made up."
    else:
        version = f" (version {dataset_version})" if dataset_version != "demo" else ""
        source = f"areas, figures and services from your locality's own data{version}."
    return (f"{locality.name}: {source} Open-source software for commissioners; see the README for "
            "sources and assumptions.")
