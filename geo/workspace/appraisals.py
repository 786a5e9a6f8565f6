"""Options appraisals the whole group takes part in, each from their own device, kept in the store.

The facilitator opens an appraisal (its options, criteria and weights, participants and the
services each declares using) and gets a short join code to read out. Participants sign in,
enter the code, say which participant they are (a *seat*) and score on their own screens.
Every rule is kept here, on the server, whatever a browser sends:

* the conflict-of-interest rule: nobody scores an option that closes or changes a service
  they use, checked against what each option's scenario says now;
* only the facilitator (or an administrator) changes the set-up, and only they change what a
  participant declares; each declaration change is recorded with who made it and when;
* a seat is one person's: its scores are theirs to enter; scores for a seat nobody has
  taken may be entered by the facilitator (single-user mode, or someone without a device).

An appraisal is seen by the same people as a scenario with its visibility: a draft by its
facilitator, a steering-group paper by the group, a public one by anyone (read only).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from geo.appraisal import (
    Appraisal,
    Option,
    appraisal_from_dict,
    appraisal_to_dict,
    declare_services,
    option_from_scenario,
    record_score,
)
from geo.errors import PlannerInputError
from geo.scenarios import scenario_from_json
from geo.workspace.accounts import (
    AccessDeniedError,
    User,
    Visibility,
    authorise,
    can_create,
    check_visibility,
)
from geo.workspace.codes import CODE_ALPHABET, CODE_CHARS, check_code, new_code
from geo.workspace.store import (
    MAX_TITLE_CHARS,
    Base,
    ScenarioRow,
    ScenarioStore,
    UserRow,
    UTCDateTime,
    VersionRow,
)

JOIN_CODE_ALPHABET = CODE_ALPHABET  # no 0/O or 1/I: see geo.workspace.codes
JOIN_CODE_CHARS = CODE_CHARS
_NEW_CODE_ATTEMPTS = 8
_SETUP_ATTEMPTS = 3


class AppraisalRow(Base):
    """An appraisal's set-up (criteria, options, participants as JSON), who runs it and who sees it."""

    __tablename__ = "appraisals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    join_code: Mapped[str] = mapped_column(String(JOIN_CODE_CHARS), unique=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_CHARS))
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visibility: Mapped[str] = mapped_column(String(10))
    setup: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    facilitator: Mapped[UserRow] = relationship(lazy="joined")


class AppraisalScoreRow(Base):
    """One score: a participant's mark for one option on one criterion, and who entered it when."""

    __tablename__ = "appraisal_scores"
    __table_args__ = (UniqueConstraint("appraisal_id", "participant_id", "option_id", "criterion_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id"), index=True)
    participant_id: Mapped[str] = mapped_column(String(80))
    option_id: Mapped[str] = mapped_column(String(80))
    criterion_key: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppraisalSeatRow(Base):
    """A participant's place taken by one account: only that account scores for it."""

    __tablename__ = "appraisal_seats"
    __table_args__ = (UniqueConstraint("appraisal_id", "user_id"),)

    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id"), primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[UserRow] = relationship(lazy="joined")


class DeclarationRow(Base):
    """A change to the services a participant declares using: before, after, who changed it, when."""

    __tablename__ = "appraisal_declarations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id"), index=True)
    participant_id: Mapped[str] = mapped_column(String(80))
    services_before: Mapped[str] = mapped_column(String(2000))
    services_after: Mapped[str] = mapped_column(String(2000))
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    changed_by: Mapped[UserRow] = relationship(lazy="joined")


@dataclass(frozen=True)
class AppraisalRecord:
    """What an appraisal is called, its code, who runs it and who may see it."""

    appraisal_id: int
    slug: str
    join_code: str
    title: str
    facilitator_id: int
    facilitator: str
    visibility: Visibility
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    # The access rule (geo.workspace.accounts.authorise) reads these, as it does a scenario's.
    @property
    def author_id(self) -> int:
        """The facilitator: an appraisal's author."""
        return self.facilitator_id

    @property
    def audience(self) -> str:
        """Who may see it: a draft its facilitator, anything else the steering group."""
        return "draft" if self.visibility == "draft" else "group"

    @property
    def published_version(self) -> int | None:
        """Public appraisals are readable by anyone; there is one "version", the live one."""
        return 1 if self.visibility == "public" else None

    @property
    def editor_ids(self) -> frozenset[int]:
        """Only the facilitator changes the set-up."""
        return frozenset()


@dataclass(frozen=True)
class Declaration:
    """One recorded change of what a participant declares using."""

    participant_id: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class AppraisalState:
    """An appraisal as one person may see it: the record, the appraisal with its scores, seats, history.

    ``seats`` maps a participant id to the username of the account that took it.
    """

    record: AppraisalRecord
    appraisal: Appraisal
    seats: Mapping[str, str]
    declarations: tuple[Declaration, ...]
    may_facilitate: bool
    my_seat: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _record(row: AppraisalRow) -> AppraisalRecord:
    return AppraisalRecord(
        appraisal_id=row.id, slug=row.slug, join_code=row.join_code, title=row.title,
        facilitator_id=row.facilitator_id, facilitator=row.facilitator.username,
        visibility=check_visibility(row.visibility), created_at=row.created_at,
        updated_at=row.updated_at, deleted_at=row.deleted_at)



def check_join_code(code: object) -> str:
    """Return ``code`` upper-cased without spaces or dashes, or raise if it cannot be one."""
    return check_code(code, kind="join code")


def _checked_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise PlannerInputError(f"appraisal title: expected non-blank text, found {title!r:.60}")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE_CHARS:
        raise PlannerInputError(f"appraisal title: expected at most {MAX_TITLE_CHARS} characters")
    return title


def _setup_json(appraisal: Appraisal) -> str:
    data = appraisal_to_dict(appraisal)
    data["scores"] = []
    return json.dumps(data, sort_keys=True)


def _row(session: Session, ref: int | str) -> AppraisalRow:
    column = AppraisalRow.id if isinstance(ref, int) and not isinstance(ref, bool) else AppraisalRow.slug
    row = session.scalar(select(AppraisalRow).where(column == ref))
    if row is None:
        raise PlannerInputError(f"appraisal: there is no appraisal {ref!r:.60}")
    return row


def _require(user: User | None, action: str, record: AppraisalRecord) -> None:
    """The same rule as for scenarios: view to see and join, manage to facilitate."""
    allowed = (authorise(user, "view", record) or (action == "view" and record.visibility == "public"
                                                    and record.deleted_at is None))
    if action == "manage":
        allowed = authorise(user, "manage", record)
    if not allowed:
        who = "an anonymous visitor" if user is None else f"user {user.username!r}"
        verb = "run" if action == "manage" else "open"
        raise AccessDeniedError(f"{who} is not allowed to {verb} the appraisal {record.title!r}")


def _scores(session: Session, appraisal_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(AppraisalScoreRow).where(AppraisalScoreRow.appraisal_id == appraisal_id)
                           .order_by(AppraisalScoreRow.id))
    return [{"participant_id": r.participant_id, "option_id": r.option_id,
             "criterion_key": r.criterion_key, "score": r.score} for r in rows]


def _appraisal(session: Session, row: AppraisalRow) -> Appraisal:
    data = json.loads(row.setup)
    data["scores"] = _scores(session, row.id)
    return appraisal_from_dict(data)


def _options_as_saved(session: Session, options: Iterable[Option]) -> tuple[Option, ...]:
    """Each option's changed services as its scenario says now (an option whose scenario is gone keeps its own)."""
    fresh = []
    for option in options:
        scenario = session.scalar(select(ScenarioRow).where(ScenarioRow.slug == option.option_id))
        if scenario is None:
            fresh.append(option)
            continue
        version = session.scalar(select(VersionRow).where(VersionRow.scenario_id == scenario.id,
                                                          VersionRow.version == scenario.current_version))
        content = scenario_from_json(version.content) if version is not None else None
        fresh.append(option if content is None else option_from_scenario(option.option_id, option.name, content))
    return tuple(fresh)


# --------------------------------------------------------------------------- the facilitator


def open_appraisal(store: ScenarioStore, user: User | None, title: str, appraisal: Appraisal, *,
                   visibility: Visibility = "group") -> AppraisalRecord:
    """Start an appraisal run by ``user`` (planners and up) with a fresh join code."""
    if user is None or not can_create(user):
        who = "an anonymous visitor" if user is None else f"user {user.username!r}"
        raise AccessDeniedError(f"{who} is not allowed to open an appraisal: it needs the planner role")
    title = _checked_title(title)
    visibility = check_visibility(visibility)
    setup = _setup_json(dataclasses.replace(appraisal, scores=()))
    for _ in range(_NEW_CODE_ATTEMPTS):
        now = _now()
        code = new_code()
        words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48].strip("-") or "appraisal"
        row = AppraisalRow(slug=f"{words}-{secrets.token_hex(3)}", join_code=code, title=title,
                           facilitator_id=user.user_id, visibility=visibility, setup=setup, revision=1,
                           created_at=now, updated_at=now, deleted_at=None)
        try:
            with store.transaction() as session:
                session.add(row)
                session.flush()
                session.refresh(row)
                return _record(row)
        except IntegrityError:
            continue  # the code or slug was taken: draw again
    raise PlannerInputError("join code: could not find a free code; try again")


def change_setup(store: ScenarioStore, user: User | None, ref: int | str,
                 change: Callable[[Appraisal], Appraisal]) -> AppraisalState:
    """Apply ``change`` to the appraisal's set-up, as its facilitator; scores the change drops go too.

    Options are re-read from their scenarios first, so the conflict-of-interest rule holds
    against what each scenario says now.
    """
    for _ in range(_SETUP_ATTEMPTS):
        with store.transaction() as session:
            row = _row(session, ref)
            record = _record(row)
            _require(user, "manage", record)
            before = _appraisal(session, row)
            before = _with_current_options(session, before)
            after = change(before)
            if _apply(session, row, before, after, user):
                break
    else:
        raise PlannerInputError("the appraisal changed while this change was made; try again")
    return appraisal_state(store, user, ref)


def _with_current_options(session: Session, appraisal: Appraisal) -> Appraisal:
    options = _options_as_saved(session, appraisal.options)
    people = {p.participant_id: p for p in appraisal.participants}
    by_id = {o.option_id: o for o in options}
    scores = tuple(s for s in appraisal.scores
                   if not people[s.participant_id].services_used & by_id[s.option_id].changed_services)
    return dataclasses.replace(appraisal, options=options, scores=scores)


def _apply(session: Session, row: AppraisalRow, before: Appraisal, after: Appraisal, user: User | None) -> bool:
    """Write ``after``'s set-up if nobody changed it meanwhile; drop scores it no longer has."""
    now = _now()
    moved = session.execute(
        update(AppraisalRow).where(AppraisalRow.id == row.id, AppraisalRow.revision == row.revision)
        .values(setup=_setup_json(after), revision=row.revision + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    kept = {(s.participant_id, s.option_id, s.criterion_key) for s in after.scores}
    for score in before.scores:
        key = (score.participant_id, score.option_id, score.criterion_key)
        if key not in kept:
            session.execute(delete(AppraisalScoreRow).where(
                AppraisalScoreRow.appraisal_id == row.id, AppraisalScoreRow.participant_id == key[0],
                AppraisalScoreRow.option_id == key[1], AppraisalScoreRow.criterion_key == key[2]))
    known = {p.participant_id for p in after.participants}
    session.execute(delete(AppraisalSeatRow).where(AppraisalSeatRow.appraisal_id == row.id,
                                                   AppraisalSeatRow.participant_id.not_in(known)))
    old = {p.participant_id: p.services_used for p in before.participants}
    assert user is not None  # manage is never granted to anonymous visitors
    for person in after.participants:
        if person.participant_id in old and old[person.participant_id] != person.services_used:
            session.add(DeclarationRow(
                appraisal_id=row.id, participant_id=person.participant_id,
                services_before=json.dumps(sorted(old[person.participant_id])),
                services_after=json.dumps(sorted(person.services_used)),
                changed_by_id=user.user_id, changed_at=now))
    return True


def declare(store: ScenarioStore, user: User | None, ref: int | str, participant_id: str,
            services_used: Iterable[str]) -> AppraisalState:
    """Change what a participant declares using (the facilitator only); recorded with who and when."""
    return change_setup(store, user, ref, lambda a: declare_services(a, participant_id, services_used))


def set_visibility(store: ScenarioStore, user: User | None, ref: int | str,
                   visibility: Visibility) -> AppraisalRecord:
    """Make the appraisal a draft, a steering-group paper or public (the facilitator only)."""
    visibility = check_visibility(visibility)
    with store.transaction() as session:
        row = _row(session, ref)
        _require(user, "manage", _record(row))
        row.visibility = visibility
        row.updated_at = _now()
        session.flush()
        return _record(row)


def delete_appraisal(store: ScenarioStore, user: User | None, ref: int | str) -> None:
    """Move the appraisal to the deleted list (kept, like a deleted scenario)."""
    with store.transaction() as session:
        row = _row(session, ref)
        _require(user, "manage", _record(row))
        row.deleted_at = _now()


# --------------------------------------------------------------------------- everyone


def appraisals(store: ScenarioStore, user: User | None) -> tuple[AppraisalRecord, ...]:
    """The appraisals ``user`` may open, newest change first."""
    with store.transaction() as session:
        rows = session.scalars(select(AppraisalRow).where(AppraisalRow.deleted_at.is_(None))
                               .order_by(AppraisalRow.updated_at.desc(), AppraisalRow.id.desc()))
        records = [_record(row) for row in rows]
    visible = []
    for record in records:
        try:
            _require(user, "view", record)
        except AccessDeniedError:
            continue
        visible.append(record)
    return tuple(visible)


def find_by_code(store: ScenarioStore, user: User | None, code: str) -> AppraisalRecord:
    """The appraisal with join code ``code``, if ``user`` may open it."""
    code = check_join_code(code)
    with store.transaction() as session:
        row = session.scalar(select(AppraisalRow).where(AppraisalRow.join_code == code))
        if row is None or row.deleted_at is not None:
            raise PlannerInputError(f"join code: there is no appraisal {code}; check the code")
        record = _record(row)
    _require(user, "view", record)
    return record


def appraisal_state(store: ScenarioStore, user: User | None, ref: int | str) -> AppraisalState:
    """The appraisal as ``user`` may see it (options as their scenarios say now)."""
    with store.transaction() as session:
        row = _row(session, ref)
        record = _record(row)
        _require(user, "view", record)
        appraisal = _with_current_options(session, _appraisal(session, row))
        seats = {seat.participant_id: seat.user.username for seat in session.scalars(
            select(AppraisalSeatRow).where(AppraisalSeatRow.appraisal_id == row.id))}
        mine = session.scalar(select(AppraisalSeatRow.participant_id).where(
            AppraisalSeatRow.appraisal_id == row.id,
            AppraisalSeatRow.user_id == (user.user_id if user is not None else -1)))
        history = tuple(Declaration(
            participant_id=d.participant_id, before=tuple(json.loads(d.services_before)),
            after=tuple(json.loads(d.services_after)), changed_by=d.changed_by.username,
            changed_at=d.changed_at) for d in session.scalars(
                select(DeclarationRow).where(DeclarationRow.appraisal_id == row.id).order_by(DeclarationRow.id)))
    return AppraisalState(record=record, appraisal=appraisal, seats=seats, declarations=history,
                          may_facilitate=authorise(user, "manage", record), my_seat=mine)


def take_seat(store: ScenarioStore, user: User | None, ref: int | str, participant_id: str) -> AppraisalState:
    """Say which participant ``user`` is; a seat someone else took, or a second seat, is refused."""
    if user is None:
        raise AccessDeniedError("an anonymous visitor cannot take part: sign in first")
    with store.transaction() as session:
        row = _row(session, ref)
        _require(user, "view", _record(row))
        appraisal = appraisal_from_dict({**json.loads(row.setup), "scores": []})
        person = appraisal.participant(participant_id)
        taken = session.get(AppraisalSeatRow, (row.id, participant_id))
        if taken is not None and taken.user_id != user.user_id:
            raise AccessDeniedError(f"{person.name} is already taken by someone else: ask the facilitator")
        mine = session.scalar(select(AppraisalSeatRow).where(AppraisalSeatRow.appraisal_id == row.id,
                                                             AppraisalSeatRow.user_id == user.user_id))
        if mine is not None and mine.participant_id != participant_id:
            raise AccessDeniedError("you already take part as another participant in this appraisal")
        if taken is None:
            session.add(AppraisalSeatRow(appraisal_id=row.id, participant_id=participant_id,
                                         user_id=user.user_id, taken_at=_now()))
    return appraisal_state(store, user, ref)


def record_scores(store: ScenarioStore, user: User | None, ref: int | str, participant_id: str,
                  cells: Iterable[tuple[str, str, float]]) -> AppraisalState:
    """Record ``(option, criterion, score)`` cells for a participant, checking every rule.

    Only the account in the participant's seat may, or the facilitator for a seat nobody has
    taken. A score on an option the conflict-of-interest rule bars is refused, and nothing
    of the sheet is saved.
    """
    if user is None:
        raise AccessDeniedError("an anonymous visitor cannot score: sign in first")
    with store.transaction() as session:
        row = _row(session, ref)
        record = _record(row)
        _require(user, "view", record)
        seat = session.get(AppraisalSeatRow, (row.id, participant_id))
        facilitating = authorise(user, "manage", record)
        if not ((seat is not None and seat.user_id == user.user_id) or (seat is None and facilitating)):
            raise AccessDeniedError(
                f"user {user.username!r} may not score for participant {participant_id!r}: only the person in "
                "that seat may" + ("" if seat is not None else ", or the facilitator while it is free"))
        appraisal = _with_current_options(session, _appraisal(session, row))
        now = _now()
        for option_id, criterion_key, value in cells:
            appraisal = record_score(appraisal, participant_id, option_id, criterion_key, value)
            existing = session.scalar(select(AppraisalScoreRow).where(
                AppraisalScoreRow.appraisal_id == row.id, AppraisalScoreRow.participant_id == participant_id,
                AppraisalScoreRow.option_id == option_id, AppraisalScoreRow.criterion_key == criterion_key))
            if existing is None:
                session.add(AppraisalScoreRow(appraisal_id=row.id, participant_id=participant_id,
                                              option_id=option_id, criterion_key=criterion_key, score=float(value),
                                              entered_by_id=user.user_id, entered_at=now))
            else:
                existing.score, existing.entered_by_id, existing.entered_at = float(value), user.user_id, now
        row.updated_at = now
    return appraisal_state(store, user, ref)


def export(state: AppraisalState) -> dict[str, Any]:
    """The appraisal as JSON-ready data: set-up and scores (the planner's appraisal format), seats, history."""
    return {**appraisal_to_dict(state.appraisal), "title": state.record.title,
            "facilitator": state.record.facilitator, "visibility": state.record.visibility,
            "seats": dict(state.seats),
            "declaration_changes": [{"participant_id": d.participant_id, "before": list(d.before),
                                     "after": list(d.after), "changed_by": d.changed_by,
                                     "changed_at": d.changed_at.isoformat()} for d in state.declarations]}
