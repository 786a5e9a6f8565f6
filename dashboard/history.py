"""Undo history for the plan: a small JSON record kept in the browser's store.

The server records each edit here; stepping back and forward runs in the browser
(``dsp.stepHistory`` in assets/dsp.js) so that quick repeated clicks never race.
"""

from __future__ import annotations

from typing import Any

MAX_STEPS = 50

Plan = dict[str, Any]
History = dict[str, list[Plan]]


def empty() -> History:
    return {"past": [], "future": []}


def record(history: History | None, previous: Plan) -> History:
    """Remember ``previous`` before a new edit; a new edit clears what could be redone."""
    past = [*(history or empty())["past"], previous][-MAX_STEPS:]
    return {"past": past, "future": []}
