"""HTML for the slots: the same elements and text as the components, every value escaped."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pytest
from dash import html

from dashboard.html_slot import to_html


def test_elements_attributes_and_styles_are_written_as_html() -> None:
    table = html.Table(className="table", children=[
        html.Caption("Who"), html.Tr([html.Th("Everyone", scope="row"), html.Td(9.5, colSpan=2)],
                                     **{"data-hub-id": "H1", "aria-label": "first"}),
    ])
    assert to_html(table) == ('<table class="table"><caption>Who</caption><tr aria-label="first" data-hub-id="H1">'
                              '<th scope="row">Everyone</th><td colspan="2">9.5</td></tr></table>')
    assert to_html(html.Span(style={"backgroundColor": "#0072b2"})) == '<span style="background-color: #0072b2"></span>'
    assert to_html([html.Br(), "a", None, 3]) == "<br>a3"


def test_names_typed_by_users_stay_text() -> None:
    typed = '<img src=x onerror="alert(1)"> & "Hub"'
    written = to_html(html.Li(typed, title=typed))
    assert "<img" not in written and 'onerror="' not in written
    assert written == ('<li title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;Hub&quot;">'
                       '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;Hub&quot;</li>')


def test_anything_that_is_not_plain_html_is_refused() -> None:
    with pytest.raises(TypeError, match="only html"):
        to_html(dbc.Badge("new"))
    with pytest.raises(TypeError, match="the property"):
        to_html(html.Div(hidden=True, draggable="true"))
    with pytest.raises(TypeError, match="must be text"):
        to_html(html.Div(id={"type": "row", "hub": "H1"}))
