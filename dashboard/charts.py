"""Plotly figure builders shared by panels: plain titles, large type, colour-blind-safe colours."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import plotly.graph_objects as go

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
CATEGORICAL = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def plotly_text(text: object) -> str:
    """Text from a user or a file, safe in a Plotly label, legend or hover box.

    Plotly reads a little HTML in every text it draws (links, styles, line breaks), so a
    name like ``<a href=...>`` would become a link; escaped, it shows as typed.
    """
    return html.escape(str(text), quote=False)


FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 15, "color": "#1b1b1b"}


def base_layout(figure: go.Figure, *, title: str, height: int = 260) -> go.Figure:
    """Apply the house style: a plain-words title, big type, no clutter."""
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 17}},
        font=FONT,
        height=height,
        margin={"l": 10, "r": 20, "t": 46, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=False,
    )
    return figure


def horizontal_bars(labels: Sequence[str], values: Iterable[float], *, title: str,
                    text: Sequence[str], colours: Sequence[str] | None = None,
                    height: int = 260) -> go.Figure:
    """A sorted horizontal bar chart with the value printed on each bar."""
    figure = go.Figure(go.Bar(
        x=list(values), y=list(labels), orientation="h", text=list(text), textposition="auto",
        marker={"color": list(colours) if colours else CATEGORICAL[0]},
        hoverinfo="skip",
    ))
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_xaxes(visible=False)
    return base_layout(figure, title=title, height=height)
