"""The map's area tooltips (assets/dsp.js) show names from uploaded files as text, never as markup."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from tests.support.hostile import HOSTILE_NAMES, unescaped_markup
from tests.support.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser


def test_area_tooltips_are_text(page: Page) -> None:
    """Leaflet writes a tooltip given as a string as markup; registerArea must hand it escaped text."""
    page.set_content("<!doctype html><html><body><div id='shown'></div></body></html>")
    page.add_script_tag(path=str(PROJECT_ROOT / "assets" / "dsp.js"))
    bound = page.evaluate("""(name) => {
        const bound = [];
        const layer = {bindTooltip: (text) => bound.push(text), setStyle: () => {}};
        window.dsp.registerArea({properties: {i: 0, name: name, district: "<b>Downs</b>"}}, layer);
        document.getElementById("shown").innerHTML = bound[0];  // as Leaflet shows it
        return {bound: bound, images: document.querySelectorAll("#shown img, #shown b").length,
                shown: document.getElementById("shown").textContent};
    }""", HOSTILE_NAMES[0])
    assert bound["images"] == 0 and unescaped_markup(json.dumps(bound["bound"])) == []
    assert bound["shown"] == f"{HOSTILE_NAMES[0]} (<b>Downs</b>)"  # what was typed, as text
