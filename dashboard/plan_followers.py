"""What the browser keeps in step with the plan, in one clientside callback.

Every callback a drag wakes costs the page more than the callback's own work: Dash's
renderer passes each step of each callback (requested, running, done, every property it
writes) over every component on the page. So the things that follow a plan change and need
no server go in one callback, ``dsp.followPlan`` in assets/dsp.js, which writes (with
``set_props``) only what changed:

- the money key (MONEY_KEY, assets/money.js): the ledger and outcomes are worked out again
  only when the money changes, not on every drag;
- the plan for money by place (PLACES_PLAN), passed on only while a tab showing it is open;
- the hub layer's key (HUB_LAYER_KEY): the markers are redrawn on the server
  (``planning_panel.draw_hubs``) only when what they show changes;
- otherwise the drawn markers' and outreach links' positions, after a move or an undo.

The server callbacks that follow these take the stores above as inputs, so the dependency
graph still says what wakes them; only the step from the plan to the stores is in the browser.
"""

from __future__ import annotations

import dash
from dash import ALL, ClientsideFunction, Input, State

from dashboard import ids
from dashboard.callbacks import CallbackRegistry

CALLBACKS = CallbackRegistry()
CALLBACKS.clientside_callback(
    ClientsideFunction(namespace="dsp", function_name="followPlan"),
    Input(ids.PLAN, "data"), Input(ids.SIDE_TABS, "value"),
    State(ids.MONEY_KEY, "data"), State(ids.PLACES_PLAN, "data"), State(ids.HUB_LAYER_KEY, "data"),
    State({"type": ids.HUB_MARKER, "hub": ALL}, "position"),
    State({"type": ids.HUB_LINK, "hub": ALL, "point": ALL}, "positions"),
)


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
