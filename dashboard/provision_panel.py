"""Today's provision at a glance: total spend, the split by service model, spend by district.

The two breakdowns are tables with bars drawn in CSS, not charts: the card is on the first
screen, and a Plotly chart there would make every first visit download and start Plotly
(1.4 MB compressed, most of the page) before the map is usable. A table also reads out
row by row to a screen reader.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids, words
from dashboard.attrs import attrs
from dashboard.charts import CATEGORICAL
from dashboard.money_charts import money
from geo.provision import ProvisionSummary

SPEND_COLOUR, NEED_COLOUR = CATEGORICAL[0], CATEGORICAL[1]


def headline(label: str, value: str, element_id: str, note: str = "") -> html.Div:
    return html.Div(className="headline", children=[
        html.Div(value, id=element_id, className="headline-value"),
        html.Div(label, className="headline-label"),
        html.Div(note, className="headline-note") if note else None,
    ])


def bar(share: float, longest: float, colour: str, *, hatched: bool = False) -> html.Span:
    """A bar as long as ``share`` against the longest in its table; decoration, the number beside it says it."""
    width = 100 * share / longest if longest > 0 else 0
    return html.Span(className="bar" + (" bar-hatched" if hatched else ""),
                     style={"width": f"{width:.1f}%", "backgroundColor": colour}, **attrs({"aria-hidden": "true"}))


def split_table(summary: ProvisionSummary) -> html.Table:
    """Where the money goes today, by kind of support: a row per kind, its share and amount."""
    model = summary.by_model
    longest = float(model["share"].max())
    return html.Table(id=ids.PROVISION_SPLIT_CHART, className="bar-table", children=[
        html.Caption("Where the money goes today, by kind of support"),
        html.Thead(html.Tr([html.Th("Kind of support", scope="col"), html.Th("Share of spend", scope="col")])),
        html.Tbody([html.Tr([
            html.Th(str(name), scope="row"),
            html.Td([bar(float(share), longest, colour), html.Span(f"{share:.0%} ({money(float(spend))})")]),
        ]) for name, share, spend, colour in zip(model["model"], model["share"], model["spend_gbp"], CATEGORICAL,
                                                 strict=False)]),
    ])


def district_table(summary: ProvisionSummary) -> html.Table:
    """Spend against need, by district: two bars a district, spend solid and need hatched."""
    table = summary.by_district
    longest = float(max(table["spend_share"].max(), table["need_share"].max()))
    return html.Table(id=ids.PROVISION_DISTRICT_CHART, className="bar-table", children=[
        html.Caption("Spend against need, by district"),
        html.Thead(html.Tr([html.Th("District", scope="col"), html.Th("Share of spend", scope="col"),
                            html.Th("Share of need", scope="col")])),
        html.Tbody([html.Tr([
            html.Th(str(district), scope="row"),
            html.Td([bar(float(spend), longest, SPEND_COLOUR), html.Span(f"{spend:.0%}")]),
            html.Td([bar(float(need), longest, NEED_COLOUR, hatched=True), html.Span(f"{need:.0%}")]),
        ]) for district, spend, need in zip(table["district"], table["spend_share"], table["need_share"],
                                            strict=True)]),
    ])


def layout(summary: ProvisionSummary) -> dbc.Card:
    """The current-provision card (a short note when no services are on record)."""
    if summary.services == summary.services_without_figures:  # none on record, or none with figures
        return dbc.Card(id=ids.PROVISION_SUMMARY, className="panel-card", children=[
            dbc.CardHeader(html.H2("Today's day and vocational services", className="h5 mb-0")),
            dbc.CardBody([
                html.Div(className="headlines", children=[
                    headline("spent a year", "not known", ids.PROVISION_TOTAL_SPEND),
                    headline("services on record", str(summary.services), "provision-services"),
                ]),
                html.P(id=ids.PROVISION_BIGGEST_TOWN, className="mb-0", children=(
                    "No services are on record for this locality, so there is no spend to compare with need and "
                    "no journeys to today's services. The plan's hubs are scored as usual. An analyst can add "
                    "a services file on the Data page." if summary.services == 0 else
                    f"The budget or number of clients of today's {summary.services} service(s) is not known, so "
                    "there is no spend to compare with need. The plan's hubs are scored as usual.")),
            ]),
        ])
    town_sentence = (
        f"{summary.biggest_town_spend_share:.0%} of all spend goes to services in "
        f"{summary.biggest_town}, home to {summary.biggest_town_population_share:.0%} of residents "
        f"and {summary.biggest_town_need_share:.0%} of the county's need."
    )
    return dbc.Card(id=ids.PROVISION_SUMMARY, className="panel-card", children=[
        dbc.CardHeader(html.H2("Today's day and vocational services", className="h5 mb-0")),
        dbc.CardBody([
            html.Div(className="headlines", children=[
                # Written as the Money tab writes today's spend (kpi-today-cost): the same figure, the same way.
                headline("spent a year today", words.pounds(summary.total_spend_gbp), ids.PROVISION_TOTAL_SPEND),
                headline("people use them", f"{summary.clients:,}", ids.PROVISION_CLIENTS),
                headline("services", str(summary.services), "provision-services",
                         f"{summary.services_without_figures} with no budget or clients known: not counted"
                         if summary.services_without_figures else ""),
            ]),
            html.P(town_sentence, id=ids.PROVISION_BIGGEST_TOWN, className="lead-sentence"),
            split_table(summary),
            district_table(summary),
            html.P(className="small text-muted mb-0", children=(
                "Need is the estimated number of adults needing support, weighted by rates of severe "
                "mental illness and common mental disorders (see the 'Need index' layer).")),
        ]),
    ])
