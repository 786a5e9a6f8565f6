"""The ids and constants the scripts in assets/ share with the server come from Python, not retyped."""

from __future__ import annotations

import re

import pytest

from dashboard import ids
from dashboard.shared_with_browser import SHARED_SCRIPT, shared_script
from tests.support.paths import PROJECT_ROOT

ASSETS = PROJECT_ROOT / "assets"
GENERATED_OR_VENDORED = {"00-shared.js", "00-proj4.js"}
COMPONENT_IDS = {value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)}


def retyped_ids(script: str) -> set[str]:
    """Component ids a script spells itself: as a quoted string or a CSS ``#id`` selector."""
    quoted = set(re.findall(r"""["']([A-Za-z][\w-]*)["']""", script))
    selectors = set(re.findall(r"#([A-Za-z][\w-]*)", script))
    return (quoted | selectors) & COMPONENT_IDS


def test_the_shared_script_is_what_python_generates() -> None:
    assert SHARED_SCRIPT.read_text() == shared_script(), "run: python -m dashboard.shared_with_browser"


@pytest.mark.parametrize("script", sorted(p.name for p in ASSETS.glob("*.js") if p.name not in GENERATED_OR_VENDORED))
def test_no_script_retypes_a_component_id(script: str) -> None:
    assert retyped_ids((ASSETS / script).read_text()) == set()


def test_the_retyping_check_sees_an_id_and_a_selector() -> None:
    """The check above is not vacuous: the ways the scripts used to spell ids are found."""
    before = 'set("plan-history", {data: x}); document.querySelectorAll("#hub-costs tr");'
    assert retyped_ids(before) == {ids.PLAN_HISTORY, ids.HUB_COSTS}
