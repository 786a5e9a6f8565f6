"""Today's provision at a glance: total spend, the split by service model, spend by district."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import ids
from dashboard.charts import CATEGORICAL, base_layout, horizontal_bars, plotly_text
from geo.provision import ProvisionSummary


def _money(value: float) -> str:
    return f"£{value / 1e6:,.2f}m" if value >= 1e6 else f"£{value / 1e3:,.0f}k"


def headline(label: str, value: str, element_id: str, note: str = "") -> html.Div:
    return html.Div(className="headline", children=[
        html.Div(value, id=element_id, className="headline-value"),
        html.Div(label, className="headline-label"),
        html.Div(note, className="headline-note") if note else None,
    ])


def split_figure(summary: ProvisionSummary) -> go.Figure:
    model = summary.by_model
    return horizontal_bars(
        [name.replace(" ", "<br>", 1) if len(name) > 20 else name for name in model["model"]],
        100 * model["share"],
        title="Where the money goes today, by kind of support",
        text=[f"{share:.0%}  ({_money(spend)})"
              for share, spend in zip(model["share"], model["spend_gbp"], strict=True)],
        colours=CATEGORICAL[:3], height=220,
    )


def district_figure(summary: ProvisionSummary) -> go.Figure:
    table = summary.by_district
    districts = [plotly_text(name) for name in table["district"]]
    figure = go.Figure([
        go.Bar(name="Share of spend", y=districts, x=100 * table["spend_share"], orientation="h",
               marker_color=CATEGORICAL[0], text=[f"{v:.0%}" for v in table["spend_share"]], textposition="outside",
               hoverinfo="skip"),
        go.Bar(name="Share of need", y=districts, x=100 * table["need_share"], orientation="h",
               marker_color=CATEGORICAL[1], marker_pattern_shape="/", text=[f"{v:.0%}" for v in table["need_share"]],
               textposition="outside", hoverinfo="skip"),
    ])
    figure.update_yaxes(autorange="reversed", automargin=True)
    longest = 100 * max(table["spend_share"].max(), table["need_share"].max())
    figure.update_xaxes(visible=False, range=[0, longest * 1.25])
    base_layout(figure, title="Spend against need, by district", height=300)
    figure.update_layout(showlegend=True, barmode="group",
                         legend={"orientation": "h", "y": -0.05, "x": 0, "font": {"size": 14}})
    return figure


def layout(summary: ProvisionSummary) -> dbc.Card:
    """The current-provision card."""
    town_sentence = (
        f"{summary.biggest_town_spend_share:.0%} of all spend goes to services in "
        f"{summary.biggest_town}, home to {summary.biggest_town_population_share:.0%} of residents "
        f"and {summary.biggest_town_need_share:.0%} of the county's need."
    )
    return dbc.Card(id=ids.PROVISION_SUMMARY, className="panel-card", children=[
        dbc.CardHeader(html.H2("Today's day and vocational services", className="h5 mb-0")),
        dbc.CardBody([
            html.Div(className="headlines", children=[
                headline("spent a year", _money(summary.total_spend_gbp), ids.PROVISION_TOTAL_SPEND),
                headline("people use them", f"{summary.clients:,}", ids.PROVISION_CLIENTS),
                headline("services", str(summary.services), "provision-services"),
            ]),
            html.P(town_sentence, id=ids.PROVISION_BIGGEST_TOWN, className="lead-sentence"),
            dcc.Graph(id=ids.PROVISION_SPLIT_CHART, figure=split_figure(summary),
                      config={"displayModeBar": False}, responsive=True),
            dcc.Graph(id=ids.PROVISION_DISTRICT_CHART, figure=district_figure(summary),
                      config={"displayModeBar": False}, responsive=True),
            html.P(className="small text-muted mb-0", children=(
                "Need is the estimated number of adults needing support, weighted by rates of severe "
                "mental illness and common mental disorders (see the 'Need index' layer).")),
        ]),
    ])
