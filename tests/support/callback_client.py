"""Call a Dash callback the way a browser does: a JSON POST to /_dash-update-component.

The body is built from the app's own /_dash-dependencies, so the tests exercise exactly
the endpoint an attacker could post to, with the same checks in the way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask.testing import FlaskClient

from dashboard.data_access import REQUEST_FIELD


def _prop(text: str) -> dict[str, str]:
    element_id, _, prop = text.partition(".")
    return {"id": element_id, "property": prop.split("@")[0]}


def callback_body(client: FlaskClient, output_marker: str, values: dict[str, Any], *,
                  triggered: str, matched: dict[str, list[Any]] | None = None,
                  data_version: str | None = None) -> dict[str, Any]:
    """The body of the callback whose output names ``output_marker`` ("id.prop"), with ``values`` by "id.prop".

    A pattern-matching output (an id with ALL) stands for the components ``matched`` lists under its
    type (none when not given), as the browser sends the ones on the page. ``data_version`` is the
    page's data version, which the browser stamps on every request (assets/data_version.js).
    """
    dependencies = client.get("/_dash-dependencies").get_json()
    matches = [d for d in dependencies if output_marker in d["output"]]
    if len(matches) > 1:  # several write it: the one the triggering input drives
        matches = [d for d in matches if triggered in [f"{i['id']}.{i['property']}" for i in d["inputs"]]]
    assert len(matches) == 1, f"{len(matches)} callbacks write {output_marker}"
    dependency = matches[0]
    output = dependency["output"]
    outputs = ([_output(part, matched or {}) for part in output.strip(".").split("...")] if output.startswith("..")
               else _output(output, matched or {}))

    def filled(items: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in items]

    body = {"output": output, "outputs": outputs, "inputs": filled(dependency["inputs"]),
            "state": filled(dependency["state"]), "changedPropIds": [triggered]}
    return body if data_version is None else {**body, REQUEST_FIELD: data_version}


def _output(text: str, matched: dict[str, list[Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    if not text.startswith("{"):
        return _prop(text)
    pattern, _, prop = text.rpartition("}.")
    kind = json.loads(pattern + "}")["type"]
    return [{"id": component, "property": prop.split("@")[0]} for component in matched.get(kind, [])]


def post_callback(client: FlaskClient, output_marker: str, values: dict[str, Any], *,
                  triggered: str, matched: dict[str, list[Any]] | None = None,
                  data_version: str | None = None) -> tuple[int, dict[str, Any]]:
    """POST the callback; return the status and {id: {prop: value}} of what it changed (its outputs and
    what it set with ``dash.set_props``)."""
    body = callback_body(client, output_marker, values, triggered=triggered, matched=matched,
                         data_version=data_version)
    answer = client.post("/_dash-update-component", json=body)
    if answer.status_code == 204:  # Dash: nothing to update
        return 204, {}
    data = answer.get_json(silent=True) or {}
    return answer.status_code, {**data.get("sideUpdate", {}), **data.get("response", {})}  # set_props' too


def text_of(component: Any) -> str:
    """Every string in a component tree, for checking what a builder shows."""
    data = component.to_plotly_json() if hasattr(component, "to_plotly_json") else component
    return json.dumps(data, default=lambda c: c.to_plotly_json() if hasattr(c, "to_plotly_json") else str(c),
                      ensure_ascii=False)


@contextmanager
def triggered(prop_id: str, value: Any) -> Iterator[None]:
    """Make ``dash.ctx`` say that ``prop_id`` changed to ``value``, as Dash does inside a callback."""
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))
    try:
        yield
    finally:
        context_value.reset(token)
