"""Tables and lists a drag rewrites, sent as escaped HTML text into one component.

When a callback returns Dash components as a container's ``children``, the browser mounts
every one of them as a new Dash component, and each mount notifies every other component
on the page (Dash's RESET_COMPONENT_STATE): with about a thousand components on the
planner, the 150 a drag used to send cost more than half a second of the browser's time.
The same tables sent as text into one ``dcc.Markdown`` slot are a single property change.

The builders keep returning ordinary ``html.*`` components (easy to read and test);
:func:`to_html` turns them into HTML, escaping every text and attribute value, so a hub
or area name typed by a user is shown as text and can never become markup.
"""

from __future__ import annotations

import html as escape
import re
from collections.abc import Mapping
from typing import Any

from dash import dcc
from dash.development.base_component import Component

HTML_NAMESPACE = "dash_html_components"
VOID_TAGS = frozenset({"br", "hr", "img", "wbr"})
# Dash property name -> HTML attribute; others pass through when HTML knows them as they are.
ATTRIBUTES = {"className": "class", "htmlFor": "for", "colSpan": "colspan", "rowSpan": "rowspan"}
PLAIN_ATTRIBUTES = frozenset({"id", "title", "scope", "role", "lang", "hidden", "headers", "abbr", "type"})
CAMEL_HUMP = re.compile(r"(?<!^)[A-Z]")
IGNORED = frozenset({"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key"})


def html_slot(element_id: str, *, class_name: str | None = None, children: str = "") -> dcc.Markdown:
    """A slot for a table or list that :func:`to_html` fills (``children``: what it starts with, from to_html)."""
    return dcc.Markdown(id=element_id, children=children, dangerously_allow_html=True, className=class_name)


def to_html(content: Any) -> str:
    """HTML for ``html.*`` components, text and lists of them, all text escaped."""
    if content is None:
        return ""
    if isinstance(content, str | int | float):
        return escape.escape(str(content))
    if isinstance(content, list | tuple):
        return "".join(to_html(item) for item in content)
    if isinstance(content, Component):
        return _element(content)
    raise TypeError(f"to_html: expected html components, text or lists of them, found {type(content).__name__}")


def _element(component: Component) -> str:
    if component._namespace != HTML_NAMESPACE:
        raise TypeError(f"to_html: only html.* components can be written as HTML, found {component._type}")
    tag = component._type.lower()
    props = component.to_plotly_json()["props"]
    attributes = "".join(f' {name}="{escape.escape(value)}"' for name, value in _attributes(props))
    if tag in VOID_TAGS:
        return f"<{tag}{attributes}>"
    return f"<{tag}{attributes}>{to_html(props.get('children'))}</{tag}>"


def _attributes(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = []
    for name, value in props.items():
        if name in IGNORED or value is None:
            continue
        if name == "style":
            found.append(("style", _style(value)))
        elif name in ATTRIBUTES:
            found.append((ATTRIBUTES[name], str(value)))
        elif name in PLAIN_ATTRIBUTES or name.startswith(("aria-", "data-")):
            if not isinstance(value, str | int | float):
                raise TypeError(f"to_html: attribute {name} must be text, found {type(value).__name__}")
            found.append((name, str(value)))
        else:
            raise TypeError(f"to_html: the property {name} has no HTML attribute here")
    return sorted(found)  # Dash keeps aria-/data- properties in no fixed order: the same table, the same text


def _style(style: Mapping[str, Any]) -> str:
    """``{"backgroundColor": "#fff"}`` -> ``background-color: #fff``."""
    return "; ".join(f"{CAMEL_HUMP.sub(lambda hump: '-' + hump.group(0), key).lower()}: {value}"
                     for key, value in style.items())
