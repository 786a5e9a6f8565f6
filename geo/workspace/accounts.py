"""Local accounts, password hashing and the one rule deciding who may see or change a scenario.

Every page, callback and download asks `authorise` (or its short forms `can_view`,
`can_edit`, `can_manage`, `require`) rather than hiding buttons, so the rule lives in
one place. The rule:

* draft: the author only (and admins);
* group (steering group, confidential): members of the steering group, of any role
  (and the author);
* public: one chosen version (`published_version`) may be read by anyone, including a
  visitor on the public read-only link (`user=None`); every other version keeps the
  audience it had before (`audience`: draft or group), so publishing never publishes
  earlier drafts.

Saving a new version, renaming and restoring are for the author and the co-editors the
author names (`editor_ids`), with at least the planner role, and admins; anyone else who
may see a scenario saves a copy instead. Changing who can see it, naming co-editors,
deleting and undeleting it are for its author and admins. A deleted scenario is visible
only to those who may undelete it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Literal, Protocol

from werkzeug.security import check_password_hash, generate_password_hash

from geo.errors import PlannerError, PlannerInputError

Visibility = Literal["draft", "group", "public"]
VISIBILITIES: tuple[Visibility, ...] = ("draft", "group", "public")
Action = Literal["view", "edit", "manage"]

# OWASP's scrypt parameters (Password Storage Cheat Sheet): N=2^14, r=8, p=5 costs as much as
# N=2^17, p=1 in time, with 16 MiB of memory a hash instead of 128. A stored hash made with
# other parameters is replaced at the next sign-in (`needs_rehash`).
PASSWORD_METHOD = "scrypt:16384:8:5"
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")


class AccessDeniedError(PlannerError):
    """The user may not do this to this scenario (shown as 'not allowed', never as a crash)."""


class Role(IntEnum):
    """Roles in increasing order of what they may do; each includes the ones below."""

    VIEWER = 1
    PLANNER = 2
    ANALYST = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        """The lower-case name stored in the database and typed on the command line."""
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Role:
        """Return the role called `label` ("viewer", "planner", "analyst" or "admin")."""
        try:
            return cls[label.strip().upper()]
        except (KeyError, AttributeError):
            names = ", ".join(role.label for role in cls)
            raise PlannerInputError(f"role: expected one of {names}, found {label!r}") from None


@dataclass(frozen=True)
class User:
    """A signed-in person. Anonymous visitors on the public link are `None`, not a User.

    `steering_group` says whether the person belongs to the steering group and so
    may see its confidential ("group") scenarios; admins always may.
    """

    user_id: int
    username: str
    role: Role
    steering_group: bool


class ScenarioAccess(Protocol):
    """The facts about a scenario the access rule looks at."""

    @property
    def author_id(self) -> int:
        """The account id of the scenario's author."""

    @property
    def visibility(self) -> str:
        """"draft", "group" (the steering group) or "public"."""

    @property
    def deleted_at(self) -> datetime | None:
        """When the scenario was deleted, or None."""

    @property
    def audience(self) -> str:
        """Who may read the versions that are not published: "draft" or "group"."""

    @property
    def published_version(self) -> int | None:
        """The one version anyone may read, or None while nothing is published."""

    @property
    def editor_ids(self) -> frozenset[int]:
        """The account ids of the co-editors the author named."""


def default_steering_group(role: Role) -> bool:
    """Return whether a new account with `role` joins the steering group unless told otherwise.

    Planners, analysts and admins do; viewers (observers, the press) do not, but a
    service user on the group can be a viewer who is a member.
    """
    return role >= Role.PLANNER


def authorise(user: User | None, action: Action, scenario: ScenarioAccess) -> bool:
    """Return whether `user` (None = anonymous public link) may `action` on `scenario`.

    "view" here is sight of every version; :func:`can_view_version` also lets anyone read
    the one published version.
    """
    is_admin = user is not None and user.role is Role.ADMIN
    is_author = user is not None and user.user_id == scenario.author_id
    if action == "manage":
        return user is not None and user.role >= Role.PLANNER and (is_author or is_admin)
    if scenario.deleted_at is not None:
        return action == "view" and user is not None and (is_author or is_admin)
    if scenario.audience == "draft":
        may_view = is_author or is_admin
    elif scenario.audience == "group":
        may_view = user is not None and (user.steering_group or is_author or is_admin)
    else:
        return False
    if action == "view":
        return may_view
    is_editor = user is not None and user.user_id in scenario.editor_ids
    return may_view and user is not None and user.role >= Role.PLANNER and (is_author or is_editor or is_admin)


def can_view_version(user: User | None, scenario: ScenarioAccess, version: int) -> bool:
    """Return whether `user` may open `version` of `scenario`: all of them, or just the published one."""
    if authorise(user, "view", scenario):
        return True
    return (scenario.deleted_at is None and scenario.published_version is not None
            and version == scenario.published_version)


def can_see(user: User | None, scenario: ScenarioAccess) -> bool:
    """Return whether `user` may see that `scenario` exists (any version of it)."""
    published = scenario.published_version
    return authorise(user, "view", scenario) or (published is not None and can_view_version(user, scenario, published))


def can_create(user: User | None) -> bool:
    """Return whether `user` may start new scenarios (save as, duplicate): planners and up."""
    return user is not None and user.role >= Role.PLANNER


def can_view(user: User | None, scenario: ScenarioAccess) -> bool:
    """Return whether `user` may open every version of `scenario` (see `can_see` for any)."""
    return authorise(user, "view", scenario)


def can_edit(user: User | None, scenario: ScenarioAccess) -> bool:
    """Return whether `user` may save new versions of `scenario`, rename it or restore it (author, co-editors)."""
    return authorise(user, "edit", scenario)


def can_manage(user: User | None, scenario: ScenarioAccess) -> bool:
    """Return whether `user` may change who sees `scenario`, delete or undelete it."""
    return authorise(user, "manage", scenario)


def require(user: User | None, action: Action, scenario: ScenarioAccess, *,
            what: str = "this scenario") -> None:
    """Raise AccessDeniedError unless `user` may `action` on `scenario`."""
    if not authorise(user, action, scenario):
        who = "an anonymous visitor" if user is None else f"user {user.username!r}"
        verb = {"view": "open", "edit": "change", "manage": "delete or share"}[action]
        raise AccessDeniedError(f"{who} is not allowed to {verb} {what}")


def check_username(username: str) -> str:
    """Return `username` lower-cased, or raise if it is not 2-40 letters, digits, . _ -."""
    if not isinstance(username, str):
        raise PlannerInputError(f"username: expected text, found {username!r}")
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise PlannerInputError(
            "username: expected 2-40 characters from a-z, 0-9, '.', '_' and '-' starting "
            f"with a letter or digit, found {username!r}"
        )
    return name


def check_visibility(visibility: str) -> Visibility:
    """Return `visibility` if it is "draft", "group" or "public", else raise."""
    for known in VISIBILITIES:
        if visibility == known:
            return known
    raise PlannerInputError(
        f"visibility: expected one of {', '.join(VISIBILITIES)}, found {visibility!r}"
    )


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of `password`; the password itself is never stored."""
    if not isinstance(password, str):
        raise PlannerInputError("password: expected text")
    if len(password) < MIN_PASSWORD_CHARS:
        raise PlannerInputError(
            f"password: expected at least {MIN_PASSWORD_CHARS} characters, "
            f"found {len(password)}"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise PlannerInputError(
            f"password: expected at most {MAX_PASSWORD_CHARS} characters, "
            f"found {len(password)}"
        )
    return generate_password_hash(password, method=PASSWORD_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether `password` matches `password_hash` (constant-time comparison)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS or not password_hash:
        return False
    return check_password_hash(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Return whether `password_hash` was made with weaker (or other) parameters than PASSWORD_METHOD."""
    return password_hash.split("$", 1)[0] != PASSWORD_METHOD
