"""Follow mode: a presenter's choice of scenario and view, published for a room of viewers.

A presenter opens a room and gets a short code to read out ("K7MQ2P"); each time they
switch scenario or view the room's row changes and its `sequence` goes up by one.
Viewers' screens poll the row and follow. The row holds only the scenario's slug, the
version and the name of the view, never its content: each viewer then opens the
scenario through the store with their own account, so following a room never shows
anyone a scenario they could not open themselves (`viewer_state` hides it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from geo.errors import PlannerInputError
from geo.workspace.accounts import AccessDeniedError, Role, User, can_view_version
from geo.workspace.codes import CODE_ALPHABET, CODE_CHARS, check_code, new_code
from geo.workspace.store import Base, ScenarioStore, UTCDateTime

ROOM_CODE_ALPHABET = CODE_ALPHABET  # no 0/O or 1/I: see geo.workspace.codes
ROOM_CODE_CHARS = CODE_CHARS
ROOM_LIFETIME = timedelta(hours=12)  # a room nobody published to for this long has ended
VIEW_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,19}")
DEFAULT_VIEW = "map"
_NEW_CODE_ATTEMPTS = 8


class FollowRow(Base):
    """A room others follow: its code, presenter, what it shows (scenario, version, view), a count of changes."""

    __tablename__ = "follow_sessions"
    __table_args__ = (CheckConstraint("sequence >= 1", name="sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_code: Mapped[str] = mapped_column(String(ROOM_CODE_CHARS), unique=True)
    presenter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scenario: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int | None] = mapped_column(Integer)
    view: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class FollowState:
    """What a room shows now: scenario slug (None: nothing yet), version (None: newest), view.

    `sequence` goes up by one on every publish, so a viewer can tell a new choice from
    one already shown. `hidden` is True in a viewer's copy when the presenter shows a
    scenario that viewer may not open; `scenario` and `version` are then None.
    """

    room_code: str
    presenter_id: int
    scenario: str | None
    version: int | None
    view: str
    sequence: int
    updated_at: datetime
    hidden: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _state(row: FollowRow) -> FollowState:
    return FollowState(room_code=row.room_code, presenter_id=row.presenter_id,
                       scenario=row.scenario, version=row.version, view=row.view,
                       sequence=row.sequence, updated_at=row.updated_at)



def check_room_code(room_code: object) -> str:
    """Return `room_code` upper-cased without spaces or dashes, or raise if it cannot be one."""
    return check_code(room_code, kind="room code")


def check_view(view: object) -> str:
    """Return `view` if it is a view name (1-20 of a-z, 0-9, '_', '-', starting with a letter).

    What a view means is up to the interface (the dashboard sends e.g. "map-bus").
    """
    if not isinstance(view, str) or not VIEW_PATTERN.fullmatch(view):
        raise PlannerInputError(
            f"view: expected 1-20 characters from a-z, 0-9, '_' and '-', found {view!r:.40}"
        )
    return view


def _checked_version(version: object) -> int | None:
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise PlannerInputError(f"version: expected a version number >= 1 or None, found {version!r}")
    return version


def _presenter(user: User | None) -> User:
    if user is None:
        raise AccessDeniedError("an anonymous visitor is not allowed to present: sign in first")
    return user


def _scenario_slug(store: ScenarioStore, presenter: User, scenario: str | int | None,
                   version: int | None) -> str | None:
    """The slug of `scenario` after checking the presenter may open that version."""
    if scenario is None:
        return None
    return store.open_version(presenter, scenario, version).scenario.slug


def open_room(store: ScenarioStore, presenter: User | None, *, scenario: str | int | None = None,
              version: int | None = None, view: str = DEFAULT_VIEW) -> FollowState:
    """Open a new room presented by `presenter`, showing `scenario` (if given) in `view`."""
    user = _presenter(presenter)
    view = check_view(view)
    version = _checked_version(version)
    slug = _scenario_slug(store, user, scenario, version)
    for _ in range(_NEW_CODE_ATTEMPTS):
        now = _now()
        row = FollowRow(room_code=new_code(),
                        presenter_id=user.user_id, scenario=slug, version=version, view=view,
                        sequence=1, created_at=now, updated_at=now, closed_at=None)
        try:
            with store.transaction() as session:
                session.add(row)
                session.flush()
                return _state(row)
        except IntegrityError:
            continue  # the code was taken: draw another
    raise PlannerInputError("room code: could not find a free code; try again")


def _open_row(session: Session, room_code: str, now: datetime) -> FollowRow:
    code = check_room_code(room_code)
    row = session.scalar(select(FollowRow).where(FollowRow.room_code == code))
    if row is None:
        raise PlannerInputError(f"room code: there is no room {code}; check the code")
    if row.closed_at is not None or now - row.updated_at > ROOM_LIFETIME:
        raise PlannerInputError(f"room {code} has ended: ask the presenter for the new code")
    return row


def publish(store: ScenarioStore, presenter: User | None, room_code: str, *,
            scenario: str | int | None, version: int | None = None,
            view: str = DEFAULT_VIEW) -> FollowState:
    """Show `scenario` (its `version`, newest when None) in `view` to everyone following the room.

    Only the presenter who opened the room may publish to it, and only a scenario they
    may open themselves.
    """
    user = _presenter(presenter)
    view = check_view(view)
    version = _checked_version(version)
    slug = _scenario_slug(store, user, scenario, version)
    now = _now()
    with store.transaction() as session:
        row = _open_row(session, room_code, now)
        if row.presenter_id != user.user_id:
            raise AccessDeniedError(
                f"user {user.username!r} is not allowed to present in room {row.room_code}: "
                "only the person who opened it may"
            )
        # One UPDATE, so two quick publishes never hand out the same sequence number.
        session.execute(
            update(FollowRow).where(FollowRow.id == row.id)
            .values(scenario=slug, version=version, view=view, updated_at=now,
                    sequence=FollowRow.sequence + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(row)
        return _state(row)


def room_state(store: ScenarioStore, room_code: str, *, now: datetime | None = None) -> FollowState:
    """What the room shows now, unchecked: for the presenter; viewers use `viewer_state`."""
    with store.transaction() as session:
        return _state(_open_row(session, room_code, now or _now()))


def viewer_state(store: ScenarioStore, viewer: User | None, room_code: str, *,
                 now: datetime | None = None) -> FollowState:
    """What the room shows, as far as `viewer` may see it.

    When the presenter shows a scenario `viewer` may not open, the scenario and version
    are blanked and `hidden` is True, so not even its slug reaches the viewer's screen.
    """
    state = room_state(store, room_code, now=now)
    if state.scenario is None:
        return state
    try:
        record = store.scenario(viewer, state.scenario)
    except (AccessDeniedError, PlannerInputError):
        return replace(state, scenario=None, version=None, hidden=True)
    if state.version is not None and not can_view_version(viewer, record, state.version):
        return replace(state, scenario=None, version=None, hidden=True)  # a draft of a published scenario
    return state


def close_room(store: ScenarioStore, presenter: User | None, room_code: str) -> None:
    """End the room; viewers see that it has ended. Only its presenter (or an admin) may."""
    user = _presenter(presenter)
    with store.transaction() as session:
        row = _open_row(session, room_code, _now())
        if row.presenter_id != user.user_id and user.role is not Role.ADMIN:
            raise AccessDeniedError(
                f"user {user.username!r} is not allowed to close room {row.room_code}"
            )
        row.closed_at = _now()
