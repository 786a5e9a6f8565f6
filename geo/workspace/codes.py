"""Short codes people read aloud and type: a room to follow, an appraisal to join.

Six letters and digits without the ones that look alike (0 and O, 1 and I), so a code
written on a whiteboard is typed right first time.
"""

from __future__ import annotations

import re
import secrets

from geo.errors import PlannerInputError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_CHARS = 6


def new_code() -> str:
    """A fresh random code (the caller retries on the rare clash with one in use)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))


def check_code(code: object, *, kind: str) -> str:
    """Return ``code`` upper-cased without spaces or dashes, or raise naming ``kind`` ("room code")."""
    if not isinstance(code, str):
        raise PlannerInputError(f"{kind}: expected text, found {code!r:.40}")
    text = re.sub(r"[\s-]+", "", code).upper()
    if len(text) != CODE_CHARS or any(c not in CODE_ALPHABET for c in text):
        raise PlannerInputError(
            f"{kind}: expected {CODE_CHARS} letters and digits such as 'K7MQ2P' "
            f"(no 0, O, 1 or I), found {code!r:.40}")
    return text
