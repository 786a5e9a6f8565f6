"""HTML attributes that Python keywords cannot spell (``aria-live``, ``data-fill``), typed for Dash components.

Dash components accept them only as ``**{"aria-live": "polite"}``; a type checker reads a
``dict[str, str]`` spread into a component as a candidate for every keyword it declares
(``n_clicks``, ``hidden``, ...). Passing the same dictionary through :func:`attrs` says it
holds only extra attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def attrs(attributes: Mapping[str, str]) -> dict[str, Any]:
    """Return ``attributes`` for a component's ``**`` spread: ``html.Div(**attrs({"aria-live": "polite"}))``."""
    return dict(attributes)
