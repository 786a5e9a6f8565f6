"""Each dashboard module's callbacks, declared where they are written and attached to an app by ``register``.

A module declares ``CALLBACKS = CallbackRegistry()`` and decorates its functions with
``@CALLBACKS.callback(...)`` (arguments exactly as ``dash.callback`` takes them) or declares
``CALLBACKS.clientside_callback(...)``. Nothing reaches Dash until the app factory calls the
module's ``register(app)``, so every app a process builds (tests build many, each gunicorn
worker one) gets its own complete set, and the decorated functions stay plain functions that
a test can call with ordinary arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import dash

Function = TypeVar("Function", bound=Callable[..., Any])

# What a callback is handed, as the browser sends it (JSON), for its annotations.
Clicks = int | None
"""A button's ``n_clicks``: None until it is first pressed."""
Stored = dict[str, Any] | None
"""A ``dcc.Store``'s ``data``: None until something is stored."""


class CallbackRegistry:
    """The server and clientside callbacks one module declares, in the order it declares them."""

    def __init__(self) -> None:
        self._server: list[tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]] = []
        self._clientside: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []

    def callback(self, *args: Any, **kwargs: Any) -> Callable[[Function], Function]:
        """Declare a server callback; the function itself is returned unchanged."""

        def declare(function: Function) -> Function:
            self._server.append((args, kwargs, function))
            return function

        return declare

    def clientside_callback(self, clientside_function: Any, *args: Any, **kwargs: Any) -> None:
        """Declare a callback that runs in the browser (a ``ClientsideFunction`` or JavaScript text)."""
        self._clientside.append((clientside_function, args, kwargs))

    def attach(self, app: dash.Dash) -> None:
        """Register every declared callback with ``app``."""
        for args, kwargs, function in self._server:
            app.callback(*args, **kwargs)(function)
        for clientside_function, args, kwargs in self._clientside:
            app.clientside_callback(clientside_function, *args, **kwargs)
