"""The scenario store: accounts, scenarios and their immutable versions in SQL.

SQLite in an instance folder by default, PostgreSQL when given its URL. The schema is
created and upgraded only by Alembic (`init_store` runs `upgrade head`). Every save
writes a new version in one transaction guarded by the version number the editor
started from, so two planners saving the same scenario cannot overwrite each other
and a crash mid-save leaves either the whole version or none of it. Every method that
touches a scenario takes the acting user and asks `geo.workspace.accounts.authorise` first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    make_url,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.pool import StaticPool

from geo.errors import PlannerError, PlannerInputError
from geo.scenarios import ScenarioContent, scenario_from_json, scenario_to_json
from geo.workspace.accounts import (
    AccessDeniedError,
    Action,
    Role,
    User,
    Visibility,
    can_create,
    can_see,
    can_view,
    can_view_version,
    check_username,
    check_visibility,
    default_steering_group,
    hash_password,
    needs_rehash,
    require,
    verify_password,
)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
SQLITE_FILE_NAME = "scenarios.sqlite3"
MAX_TITLE_CHARS = 200
MAX_MESSAGE_CHARS = 500

SESSION_TOUCH_EVERY = timedelta(minutes=1)
CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 15_000
LOCK_TIMEOUT_MS = 10_000
POOL_TIMEOUT_S = 5
SQLITE_BUSY_TIMEOUT_S = 15

MIGRATION_LOCK_KEY = 7_270_001  # PostgreSQL advisory lock held while migrating
_MIGRATION_THREAD_LOCK = threading.Lock()

ScenarioRef = int | str
"""A scenario's number or its slug (the stable name used in its URL)."""

# Stable constraint names so migrations and PostgreSQL agree on what to alter later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The value as stored: in UTC, without a zone on SQLite; a naive timestamp is refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        """The value as read back, always in UTC with its zone."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The ORM base; its metadata is what the Alembic migrations must build."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    """An account: its name, password hash, role and steering-group membership."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'planner', 'analyst', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    steering_group: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ScenarioRow(Base):
    """A saved scenario: its title, author, visibility and newest version number (deleted ones are kept)."""

    __tablename__ = "scenarios"
    __table_args__ = (
        CheckConstraint("visibility IN ('draft', 'group', 'public')", name="visibility"),
        CheckConstraint("current_version >= 1", name="current_version"),
        CheckConstraint("audience IN ('draft', 'group')", name="audience"),
        CheckConstraint("(visibility = 'public') = (published_version IS NOT NULL)", name="published_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_CHARS))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visibility: Mapped[str] = mapped_column(String(10))
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who may read the versions that are not published: "draft" or "group" (the visibility
    # the scenario had before it was made public). Publishing publishes one version only.
    audience: Mapped[str] = mapped_column(String(10))
    published_version: Mapped[int | None] = mapped_column(Integer)

    author: Mapped[UserRow] = relationship(foreign_keys=[author_id], lazy="joined")
    editors: Mapped[list[EditorRow]] = relationship(lazy="selectin", cascade="all, delete-orphan")


class EditorRow(Base):
    """A co-editor the author named: may save new versions and rename, like the author."""

    __tablename__ = "scenario_editors"

    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[UserRow] = relationship(lazy="joined")


class EventRow(Base):
    """Something done to a scenario other than saving a version: renames, sharing, deletes, co-editors."""

    __tablename__ = "scenario_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[UserRow] = relationship(lazy="joined")


class SessionRow(Base):
    """A signed-in browser: the cookie holds the token, the store only its hash, so sessions can be ended."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SignInFailureRow(Base):
    """One wrong password, counted against the account and the address it came from (both hashed)."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RunningJobRow(Base):
    """A background job someone started and that has not been seen to finish (for per-user limits)."""

    __tablename__ = "running_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    job: Mapped[str] = mapped_column(String(200), unique=True)
    handle: Mapped[str | None] = mapped_column(String(100))  # the job backend's id, once started
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VersionRow(Base):
    """One numbered version of a scenario: its content as saved and who saved it, when."""

    __tablename__ = "scenario_versions"
    __table_args__ = (
        UniqueConstraint("scenario_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(String(MAX_MESSAGE_CHARS))

    author: Mapped[UserRow] = relationship(lazy="joined")


@dataclass(frozen=True)
class ScenarioRecord:
    """What a scenario is called, whose it is, who may see it and its newest version."""

    scenario_id: int
    slug: str
    title: str
    author_id: int
    author: str
    visibility: Visibility
    current_version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    published_version: int | None = None
    audience: str = ""  # who may read unpublished versions: "draft" or "group" (blank: as visibility)
    editor_ids: frozenset[int] = frozenset()
    editors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.audience:
            object.__setattr__(self, "audience", "group" if self.visibility == "public" else self.visibility)


@dataclass(frozen=True)
class ChangeInfo:
    """Something someone did to a scenario: a saved version, a rename, a change of who may see it."""

    created_at: datetime
    who: str
    what: str


@dataclass(frozen=True)
class VersionInfo:
    """One saved version in a scenario's history, without its content."""

    scenario_id: int
    version: int
    author: str
    created_at: datetime
    message: str


@dataclass(frozen=True)
class ScenarioVersion:
    """One saved version of a scenario with its content, as opened by a user."""

    scenario: ScenarioRecord
    version: int
    content: ScenarioContent
    author: str
    created_at: datetime
    message: str

    @property
    def is_current(self) -> bool:
        """Whether this is the newest version (a save from it will not conflict)."""
        return self.version == self.scenario.current_version

    @property
    def visibility(self) -> Visibility:
        """Who may read this version: "public" only for the published one, else the scenario's audience."""
        if self.scenario.published_version == self.version:
            return "public"
        return check_visibility(self.scenario.audience)


def sqlite_url(instance_folder: Path | str) -> str:
    """Return the URL of the default SQLite store inside `instance_folder`."""
    return f"sqlite:///{Path(instance_folder).resolve() / SQLITE_FILE_NAME}"


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: UserRow) -> User:
    return User(user_id=row.id, username=row.username, role=Role.from_label(row.role),
                steering_group=row.steering_group)


def _record(row: ScenarioRow) -> ScenarioRecord:
    return ScenarioRecord(
        scenario_id=row.id,
        slug=row.slug,
        title=row.title,
        author_id=row.author_id,
        author=row.author.username,
        visibility=check_visibility(row.visibility),
        current_version=row.current_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        published_version=row.published_version,
        audience=row.audience,
        editor_ids=frozenset(editor.user_id for editor in row.editors),
        editors=tuple(sorted(editor.user.username for editor in row.editors)),
    )


def _as_seen_by(user: User | None, record: ScenarioRecord) -> ScenarioRecord:
    """The record as `user` may know it: one who sees only the published version sees only its number."""
    if can_view(user, record) or record.published_version is None:
        return record
    return dataclasses.replace(record, current_version=record.published_version, editor_ids=frozenset(), editors=())


def token_hash(token: str) -> str:
    """The stored form of a secret token (a session's, a throttling key): its SHA-256."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


NOT_FOUND_WORDS = "there is no such scenario or version that you may open"


class ScenarioNotFoundError(PlannerInputError):
    """No scenario (or version) of that name that this user may open: the same words whether it
    exists or not, so nobody learns which names exist."""


def _info(row: VersionRow) -> VersionInfo:
    return VersionInfo(scenario_id=row.scenario_id, version=row.version,
                       author=row.author.username, created_at=row.created_at,
                       message=row.message)


def _storable(where: str, text: str) -> str:
    """Refuse characters PostgreSQL text cannot hold (NUL, unpaired surrogates)."""
    if "\x00" in text or _has_surrogates(text):
        raise PlannerInputError(
            f"{where}: expected ordinary text, found a NUL or an incomplete character"
        )
    return text


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _checked_title(title: str) -> str:
    if not isinstance(title, str) or not title.strip():
        raise PlannerInputError(f"scenario title: expected non-blank text, found {title!r}")
    _storable("scenario title", title)
    title = " ".join(title.split())
    if len(title) > MAX_TITLE_CHARS:
        raise PlannerInputError(
            f"scenario title: expected at most {MAX_TITLE_CHARS} characters, "
            f"found {len(title)}"
        )
    return title


def _checked_message(message: str) -> str:
    if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
        raise PlannerInputError(
            f"save message: expected text of at most {MAX_MESSAGE_CHARS} characters, "
            f"found {message!r:.60}"
        )
    return _storable("save message", message.strip())


def _checked_version_number(name: str, version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise PlannerInputError(f"{name}: expected a version number >= 1, found {version!r}")
    return version


def _new_slug(title: str) -> str:
    """Return a URL-safe name from `title` plus a random suffix, so URLs never collide."""
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48].strip("-")
    return f"{words or 'scenario'}-{secrets.token_hex(3)}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()


def engine_for(url: str) -> Engine:
    """Return an engine for `url`, creating the SQLite file's folder when needed.

    Nothing waits for ever: a server that does not answer a connection within
    CONNECT_TIMEOUT_S, a statement running past STATEMENT_TIMEOUT_MS or a lock held past
    LOCK_TIMEOUT_MS is an error (which the app shows as "the database is not answering"),
    and a request waits at most POOL_TIMEOUT_S for a free connection. The SQLite file is
    readable by its owner only.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}"
        return create_engine(url, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT_S,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": options})
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        _private_file(Path(database))
        engine = create_engine(url, pool_timeout=POOL_TIMEOUT_S, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    else:
        engine = create_engine(url, poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    _configure_sqlite(engine)
    return engine


def _private_file(database: Path) -> None:
    """Make the SQLite file readable by the owner only (it holds password hashes), and a folder made for it too.

    SQLite gives the -wal and -shm files it makes the database file's permissions.
    """
    if not database.parent.exists():
        database.parent.mkdir(parents=True, mode=0o700, exist_ok=True)  # workers starting together
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists():
            path.chmod(0o600)


def upgrade_database(engine: Engine, *, revision: str = "head") -> None:
    """Bring the database behind `engine` up to `revision` with the Alembic migrations.

    Safe when several workers start at once on a new database: they take turns, and
    all but the first find nothing to do.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic keeps its running context in a module global, so threads take turns too.
    with _MIGRATION_THREAD_LOCK, engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def init_store(url: str) -> ScenarioStore:
    """Open the store at `url`, creating or upgrading its schema to the newest revision."""
    engine = engine_for(url)
    try:
        upgrade_database(engine)
    except BaseException:
        engine.dispose()
        raise
    return ScenarioStore(engine)


class ScenarioStore:
    """Accounts and scenarios in one database; build it with `init_store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> ScenarioStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: committed when the block ends, rolled back if it raises (for the
        workspace's other tables, such as follow rooms and appraisals, kept in the same database)."""
        with self._sessions.begin() as session:
            yield session

    # ----------------------------------------------------------------- accounts

    def create_user(self, username: str, password: str, role: Role | str, *,
                    steering_group: bool | None = None) -> User:
        """Add a local account; the password is stored only as a salted hash."""
        name = check_username(username)
        role = role if isinstance(role, Role) else Role.from_label(role)
        member = default_steering_group(role) if steering_group is None else steering_group
        row = UserRow(username=name, password_hash=hash_password(password), role=role.label,
                      steering_group=bool(member), created_at=_now())
        try:
            with self.transaction() as session:
                session.add(row)
                session.flush()
                return _user(row)
        except IntegrityError:
            raise PlannerInputError(f"username: {name!r} is already taken") from None

    def authenticate(self, username: str, password: str) -> User | None:
        """Return the user if `password` is right and the account is enabled, else None (same work either way).

        A hash made with older parameters is replaced by one at the current ones (PASSWORD_METHOD).
        """
        try:
            name = check_username(username)
        except PlannerInputError:
            verify_password(_DUMMY_HASH, password)
            return None
        with self.transaction() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == name))
        if row is None or not row.password_hash:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(row.password_hash, password) or row.disabled_at is not None:
            return None
        if needs_rehash(row.password_hash):
            with self.transaction() as session:
                session.execute(update(UserRow).where(UserRow.id == row.id)
                                .values(password_hash=hash_password(password)))
        return _user(row)

    def user(self, username: str) -> User:
        """Return the account called `username`."""
        with self.transaction() as session:
            return _user(self._user_row(session, username))

    def user_by_id(self, user_id: int) -> User | None:
        """Return the enabled account with number `user_id`, or None (e.g. for a stale login cookie)."""
        with self.transaction() as session:
            row = session.get(UserRow, user_id)
            return None if row is None or row.disabled_at is not None else _user(row)

    def is_disabled(self, username: str) -> bool:
        """Whether the account called `username` is disabled (it cannot sign in)."""
        with self.transaction() as session:
            return self._user_row(session, username).disabled_at is not None

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable an account (it cannot sign in, and its sessions end at once) or enable it again."""
        with self.transaction() as session:
            row = self._user_row(session, username)
            row.disabled_at = _now() if disabled else None
            if disabled:
                session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            return _user(row)

    def delete_user(self, username: str) -> str:
        """Remove an account; one that saved or presented anything is anonymised instead, so nothing saved is lost.

        Returns what was done, in words.
        """
        with self.transaction() as session:
            row = self._user_row(session, username)
            session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            session.execute(delete(RunningJobRow).where(RunningJobRow.user_id == row.id))
            session.execute(delete(EditorRow).where(EditorRow.user_id == row.id))
            if not self._user_has_history(session, row.id):
                session.delete(row)
                return f"deleted {row.username}"
            old = row.username
            row.username, row.password_hash = f"deleted-{row.id}", ""
            row.role, row.steering_group, row.disabled_at = Role.VIEWER.label, False, row.disabled_at or _now()
            return (f"{old} has saved work, so the account was kept as {row.username}: it cannot sign in and its "
                    "name is gone; its scenarios and versions are kept")

    @staticmethod
    def _user_has_history(session: Session, user_id: int) -> bool:
        # follow and appraisals build on the store, not the other way
        from geo.workspace.appraisals import AppraisalRow, AppraisalScoreRow, AppraisalSeatRow, DeclarationRow
        from geo.workspace.follow import FollowRow

        for column in (ScenarioRow.author_id, ScenarioRow.deleted_by_id, VersionRow.author_id, EventRow.user_id,
                       FollowRow.presenter_id, AppraisalRow.facilitator_id, AppraisalScoreRow.entered_by_id,
                       AppraisalSeatRow.user_id, DeclarationRow.changed_by_id):
            if session.scalar(select(func.count()).where(column == user_id)):
                return True
        return False

    # ----------------------------------------------------------------- sessions

    def start_session(self, user: User) -> str:
        """A new sign-in session for `user`: the token for the cookie (the store keeps only its hash)."""
        token = secrets.token_urlsafe(32)
        now = _now()
        with self.transaction() as session:
            session.add(SessionRow(token_hash=token_hash(token), user_id=user.user_id, created_at=now,
                                   last_seen_at=now))
        return token

    def session_user(self, token: str, *, idle: timedelta, lifetime: timedelta,
                     now: datetime | None = None) -> User | None:
        """The signed-in user of session `token`, or None once it has ended, idled out or grown too old.

        Seeing the session keeps it alive (its last-seen time is written at most once a minute).
        """
        now = now or _now()
        with self.transaction() as session:
            row = session.scalar(select(SessionRow).where(SessionRow.token_hash == token_hash(token)))
            if row is None:
                return None
            if now - row.last_seen_at > idle or now - row.created_at > lifetime:
                session.delete(row)
                return None
            user = session.get(UserRow, row.user_id)
            if user is None or user.disabled_at is not None:
                return None
            if now - row.last_seen_at > SESSION_TOUCH_EVERY:
                row.last_seen_at = now
            return _user(user)

    def end_session(self, token: str) -> None:
        """End one session (signing out)."""
        with self.transaction() as session:
            session.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash(token)))

    def end_sessions(self, username: str) -> int:
        """End every session of an account (a password change, a stolen cookie); returns how many."""
        with self.transaction() as session:
            row = self._user_row(session, username)
            ended = session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            return int(ended.rowcount)  # type: ignore[attr-defined]

    # --------------------------------------------------------------- throttling

    def sign_in_wait(self, keys: Sequence[tuple[str, int]], *, window: timedelta,
                     now: datetime | None = None) -> timedelta | None:
        """How long until sign-in may be tried again, or None: each (key, limit) counts wrong passwords in `window`."""
        now = now or _now()
        waits = []
        with self.transaction() as session:
            for key, limit in keys:
                times = session.scalars(select(SignInFailureRow.created_at)
                                        .where(SignInFailureRow.key_hash == token_hash(key),
                                               SignInFailureRow.created_at > now - window)
                                        .order_by(SignInFailureRow.created_at.desc()).limit(limit)).all()
                if len(times) >= limit:
                    waits.append(times[-1] + window - now)
        return max(waits) if waits else None

    def record_sign_in_failure(self, keys: Sequence[str], *, window: timedelta, now: datetime | None = None) -> None:
        """Count a wrong password against each key (an account, an address); forget counts older than `window`."""
        now = now or _now()
        with self.transaction() as session:
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.created_at <= now - window))
            session.add_all(SignInFailureRow(key_hash=token_hash(key), created_at=now) for key in keys)

    def clear_sign_in_failures(self, key: str) -> None:
        """Forget the wrong passwords counted against `key` (after a right one)."""
        with self.transaction() as session:
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.key_hash == token_hash(key)))

    # ----------------------------------------------------------- running jobs

    def start_job(self, user: User, job: str, *, limit: int,
                  still_running: Callable[[str, str | None, timedelta], bool], max_age: timedelta) -> bool:
        """Record that `user` starts `job`, unless they already run `limit` jobs; returns whether it may start.

        Jobs recorded earlier that `still_running(job, handle, age)` says have ended, or older than
        `max_age`, are forgotten first.
        """
        now = _now()
        with self.transaction() as session:
            rows = session.scalars(select(RunningJobRow).where(RunningJobRow.user_id == user.user_id)).all()
            for row in rows:
                age = now - row.started_at
                if age > max_age or not still_running(row.job, row.handle, age):
                    session.delete(row)
            session.flush()
            running = session.scalar(select(func.count()).where(RunningJobRow.user_id == user.user_id)) or 0
            if running >= limit:
                return False
            session.add(RunningJobRow(user_id=user.user_id, job=job[:200], started_at=now))
            return True

    def job_started(self, job: str, handle: str) -> None:
        """Note the job backend's id for `job` (a process number, a Celery task id)."""
        with self.transaction() as session:
            session.execute(update(RunningJobRow).where(RunningJobRow.job == job[:200]).values(handle=handle[:100]))

    def finish_job(self, job: str) -> None:
        """Forget a job that has finished (or failed, or was cancelled)."""
        with self.transaction() as session:
            session.execute(delete(RunningJobRow).where(RunningJobRow.job == job[:200]))

    def users(self) -> tuple[User, ...]:
        """Return every account, by username."""
        with self.transaction() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.username))
            return tuple(_user(row) for row in rows)

    def set_role(self, username: str, role: Role | str) -> User:
        """Change an account's role."""
        role = role if isinstance(role, Role) else Role.from_label(role)
        with self.transaction() as session:
            row = self._user_row(session, username)
            row.role = role.label
            return _user(row)

    def set_steering_group(self, username: str, member: bool) -> User:
        """Add an account to the steering group (it sees "group" scenarios) or take it out."""
        with self.transaction() as session:
            row = self._user_row(session, username)
            row.steering_group = bool(member)
            return _user(row)

    def set_password(self, username: str, password: str) -> None:
        """Replace an account's password; every session of the account ends (sign in again)."""
        password_hash = hash_password(password)
        with self.transaction() as session:
            row = self._user_row(session, username)
            row.password_hash = password_hash
            session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))

    @staticmethod
    def _user_row(session: Session, username: str) -> UserRow:
        name = check_username(username)
        row = session.scalar(select(UserRow).where(UserRow.username == name))
        if row is None:
            raise PlannerInputError(f"username: no account called {name!r}")
        return row

    # ---------------------------------------------------------------- scenarios

    @staticmethod
    def _scenario_row(session: Session, scenario: ScenarioRef) -> ScenarioRow:
        if isinstance(scenario, bool) or not isinstance(scenario, int | str):
            raise PlannerInputError(
                f"scenario: expected a scenario number or slug, found {scenario!r:.60}"
            )
        column = ScenarioRow.id if isinstance(scenario, int) else ScenarioRow.slug
        row = session.scalar(select(ScenarioRow).where(column == scenario))
        if row is None:
            raise _not_found(scenario)
        return row

    @staticmethod
    def _version_row(session: Session, scenario_id: int, version: int) -> VersionRow:
        row = session.scalar(select(VersionRow).where(VersionRow.scenario_id == scenario_id,
                                                      VersionRow.version == version))
        if row is None:
            raise PlannerInputError(f"version: scenario {scenario_id} has no version {version}")
        return row

    @staticmethod
    def _opened(record: ScenarioRecord, row: VersionRow) -> ScenarioVersion:
        return ScenarioVersion(scenario=record, version=row.version,
                               content=scenario_from_json(row.content),
                               author=row.author.username, created_at=row.created_at,
                               message=row.message)

    def _viewable(self, session: Session, user: User | None, scenario: ScenarioRef, *,
                  every_version: bool = False) -> ScenarioRow:
        """The scenario, if `user` may see it (every version of it, if asked), else "not found"."""
        row = self._scenario_row(session, scenario)
        record = _record(row)
        if not (can_view(user, record) if every_version else can_see(user, record)):
            raise _not_found(scenario)
        return row

    @staticmethod
    def _event(session: Session, row: ScenarioRow, user: User, kind: str, detail: str = "") -> None:
        session.add(EventRow(scenario_id=row.id, user_id=user.user_id, kind=kind, detail=detail[:400],
                             created_at=_now()))

    def create_scenario(self, user: User | None, title: str, content: ScenarioContent, *,
                        visibility: Visibility = "draft",
                        message: str = "Created") -> ScenarioVersion:
        """Start a new scenario owned by `user` with `content` as version 1 (also "save as")."""
        if not can_create(user) or user is None:
            who = "an anonymous visitor" if user is None else f"user {user.username!r}"
            raise AccessDeniedError(f"{who} is not allowed to create scenarios")
        title = _checked_title(title)
        visibility = check_visibility(visibility)
        message = _checked_message(message)
        if not isinstance(content, ScenarioContent):
            raise PlannerInputError(f"content: expected ScenarioContent, found {content!r:.60}")
        now = _now()
        with self.transaction() as session:
            row = ScenarioRow(slug=_new_slug(title), title=title, author_id=user.user_id,
                              visibility=visibility, current_version=1, created_at=now,
                              updated_at=now, deleted_at=None,
                              audience="draft" if visibility == "public" else visibility,
                              published_version=1 if visibility == "public" else None)
            session.add(row)
            session.flush()
            return self._with_new_version(session, row, 1, content, user, now, message)

    save_as = create_scenario

    def save(self, user: User | None, scenario: ScenarioRef, content: ScenarioContent, *,
             base_version: int, message: str = "") -> ScenarioVersion:
        """Save `content` as the next version of `scenario`.

        `base_version` is the version the editor opened. If anyone saved after it,
        nothing is written and SaveConflictError carries both contents.
        """
        if not isinstance(content, ScenarioContent):
            raise PlannerInputError(f"content: expected ScenarioContent, found {content!r:.60}")
        return self._append_version(user, scenario, lambda _session, _row: content,
                                    base_version=base_version, message=message)

    def restore(self, user: User | None, scenario: ScenarioRef, version: int, *,
                base_version: int) -> ScenarioVersion:
        """Save a copy of old `version` as the newest version; history is kept whole."""
        version = _checked_version_number("version", version)

        def old_content(session: Session, row: ScenarioRow) -> ScenarioContent:
            return scenario_from_json(self._version_row(session, row.id, version).content)

        return self._append_version(user, scenario, old_content, base_version=base_version,
                                    message=f"Restored version {version}")

    def set_notes(self, user: User | None, scenario: ScenarioRef, notes: str, *,
                  base_version: int) -> ScenarioVersion:
        """Save a new version whose notes are `notes` and everything else as `base_version`."""

        def with_notes(session: Session, row: ScenarioRow) -> ScenarioContent:
            base = scenario_from_json(self._version_row(session, row.id, base_version).content)
            return dataclasses.replace(base, notes=notes)

        return self._append_version(user, scenario, with_notes, base_version=base_version,
                                    message="Notes changed")

    def _append_version(self, user: User | None, scenario: ScenarioRef,
                        make_content: Callable[[Session, ScenarioRow], ScenarioContent], *,
                        base_version: int,
                        message: str) -> ScenarioVersion:
        base_version = _checked_version_number("base_version", base_version)
        message = _checked_message(message)
        with self.transaction() as session:
            row = self._viewable(session, user, scenario)
            if row.deleted_at is not None:
                raise PlannerInputError(
                    f"scenario {row.title!r} is deleted: undelete it before saving"
                )
            require(user, "edit", _record(row), what=f"scenario {row.title!r} (only its author and "
                                                       "co-editors may: save a copy instead)")
            assert user is not None  # edit is never granted to anonymous visitors
            content = make_content(session, row)
            now = _now()
            # The compare-and-set that makes concurrent saves safe: only one UPDATE can
            # move current_version on from base_version; the others match no row.
            moved = session.execute(
                update(ScenarioRow)
                .where(ScenarioRow.id == row.id,
                       ScenarioRow.current_version == base_version,
                       ScenarioRow.deleted_at.is_(None))
                .values(current_version=base_version + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise self._conflict(session, row.id, base_version, content)
            return self._with_new_version(session, row, base_version + 1, content, user, now, message)

    def _with_new_version(self, session: Session, row: ScenarioRow, number: int, content: ScenarioContent,
                          user: User, now: datetime, message: str) -> ScenarioVersion:
        """Add version ``number`` of ``row`` (saving a scenario or creating one) and open it."""
        version = VersionRow(scenario_id=row.id, version=number, content=scenario_to_json(content),
                             author_id=user.user_id, created_at=now, message=message)
        session.add(version)
        session.flush()
        session.refresh(row)
        return self._opened(_record(row), version)

    def _conflict(self, session: Session, scenario_id: int, base_version: int,
                  attempted: ScenarioContent) -> SaveConflictError:
        row = session.get(ScenarioRow, scenario_id)
        assert row is not None
        session.refresh(row)
        if row.deleted_at is not None:
            return SaveConflictError(
                f"scenario {row.title!r} was deleted while you were editing it; your "
                "changes were not saved: save them as a new scenario",
                scenario_id=scenario_id, base_version=base_version,
                current_version=row.current_version, attempted=attempted, current=None)
        current = self._opened(_record(row),
                               self._version_row(session, scenario_id, row.current_version))
        return SaveConflictError(
            f"scenario {row.title!r} was saved as version {current.version} by "
            f"{current.author} at {current.created_at:%Y-%m-%d %H:%M} UTC while you were "
            f"editing version {base_version}. Your changes were not saved over theirs: "
            f"save them as a new scenario, or open version {current.version} and apply "
            "them again.",
            scenario_id=scenario_id, base_version=base_version,
            current_version=current.version, attempted=attempted, current=current)

    def open_version(self, user: User | None, scenario: ScenarioRef,
                     version: int | None = None) -> ScenarioVersion:
        """Return `version` of `scenario` (the newest `user` may see when None), if `user` may see it.

        Someone who may see only the published version gets that one; any other is "not found".
        """
        with self.transaction() as session:
            row = self._viewable(session, user, scenario)
            record = _as_seen_by(user, _record(row))
            number = record.current_version if version is None else _checked_version_number(
                "version", version)
            if not can_view_version(user, _record(row), number) or number > row.current_version:
                raise _not_found(scenario, number)
            return self._opened(record, self._version_row(session, row.id, number))

    def scenario(self, user: User | None, scenario: ScenarioRef) -> ScenarioRecord:
        """Return the record of `scenario` as `user` may know it, if they may see it."""
        with self.transaction() as session:
            return _as_seen_by(user, _record(self._viewable(session, user, scenario)))

    def scenarios(self, user: User | None, *,
                  deleted: bool = False) -> tuple[ScenarioRecord, ...]:
        """Return the scenarios `user` may see, newest change first (or only deleted ones)."""
        with self.transaction() as session:
            rows = session.scalars(
                select(ScenarioRow)
                .where(ScenarioRow.deleted_at.is_not(None) if deleted
                       else ScenarioRow.deleted_at.is_(None))
                .order_by(ScenarioRow.updated_at.desc(), ScenarioRow.id.desc())
            )
            records = (_record(row) for row in rows)
            return tuple(_as_seen_by(user, record) for record in records if can_see(user, record))

    def versions(self, user: User | None, scenario: ScenarioRef) -> tuple[VersionInfo, ...]:
        """Return the history of `scenario` that `user` may see, oldest first (only the published one, for some)."""
        with self.transaction() as session:
            row = self._viewable(session, user, scenario)
            query = select(VersionRow).where(VersionRow.scenario_id == row.id).order_by(VersionRow.version)
            if not can_view(user, _record(row)):
                query = query.where(VersionRow.version == row.published_version)
            return tuple(_info(version) for version in session.scalars(query))

    def changes(self, user: User | None, scenario: ScenarioRef) -> tuple[ChangeInfo, ...]:
        """What people other than the author did to `scenario`, newest first: for its author (and admins)."""
        with self.transaction() as session:
            row = self._viewable(session, user, scenario, every_version=True)
            require(user, "manage", _record(row), what=f"scenario {row.title!r}")
            found = [ChangeInfo(v.created_at, v.author.username, f"saved version {v.version}"
                                + (f" ({v.message})" if v.message else ""))
                     for v in session.scalars(select(VersionRow).where(VersionRow.scenario_id == row.id,
                                                                       VersionRow.author_id != row.author_id))]
            found += [ChangeInfo(e.created_at, e.user.username, _event_words(e.kind, e.detail))
                      for e in session.scalars(select(EventRow).where(EventRow.scenario_id == row.id,
                                                                      EventRow.user_id != row.author_id))]
            return tuple(sorted(found, key=lambda change: change.created_at, reverse=True))

    def duplicate(self, user: User | None, scenario: ScenarioRef, *,
                  title: str | None = None, version: int | None = None,
                  visibility: Visibility = "draft") -> ScenarioVersion:
        """Copy a version of `scenario` (the newest by default) into a new scenario of `user`."""
        source = self.open_version(user, scenario, version)
        return self.create_scenario(
            user, title or f"Copy of {source.scenario.title}"[:MAX_TITLE_CHARS],
            source.content, visibility=visibility,
            message=f"Copied from {source.scenario.slug} version {source.version}",
        )

    def rename(self, user: User | None, scenario: ScenarioRef, title: str) -> ScenarioRecord:
        """Change the title of `scenario` (author and co-editors); its slug and URLs stay the same."""
        title = _checked_title(title)
        with self._changing(user, scenario, "edit") as (session, row, acting):
            if title != row.title:
                self._event(session, row, acting, "renamed", f"{row.title} -> {title}")
                row.title = title
        return self.scenario(user, row.id)

    def set_visibility(self, user: User | None, scenario: ScenarioRef, visibility: Visibility, *,
                       version: int | None = None) -> ScenarioRecord:
        """Make `scenario` a draft or a confidential steering-group paper, or publish one version of it.

        "public" publishes `version` (the newest when None) and only it: every other version keeps
        the audience it had. Choosing draft or group takes the published version down again.
        """
        visibility = check_visibility(visibility)
        with self._changing(user, scenario, "manage") as (session, row, acting):
            if visibility == "public":
                number = row.current_version if version is None else _checked_version_number("version", version)
                self._version_row(session, row.id, number)  # it must exist
                row.visibility, row.published_version = "public", number
                self._event(session, row, acting, "published", str(number))
            else:
                row.visibility, row.audience, row.published_version = visibility, visibility, None
                self._event(session, row, acting, "visibility", visibility)
        return self.scenario(user, row.id)

    def set_editor(self, user: User | None, scenario: ScenarioRef, username: str, *,
                   editor: bool) -> ScenarioRecord:
        """Name `username` a co-editor of `scenario` (may save new versions and rename it), or no longer."""
        with self._changing(user, scenario, "manage") as (session, row, acting):
            named = self._user_row(session, username)
            if editor:
                if named.id == row.author_id:
                    raise PlannerInputError(f"co-editor: {named.username} is the author already")
                if Role.from_label(named.role) < Role.PLANNER or named.disabled_at is not None:
                    raise PlannerInputError(f"co-editor: {named.username} is not a planner, so cannot edit")
                if all(existing.user_id != named.id for existing in row.editors):
                    row.editors.append(EditorRow(user_id=named.id, added_at=_now()))
                    self._event(session, row, acting, "editor_added", named.username)
            elif any(existing.user_id == named.id for existing in row.editors):
                row.editors = [existing for existing in row.editors if existing.user_id != named.id]
                self._event(session, row, acting, "editor_removed", named.username)
        return self.scenario(user, row.id)

    @contextmanager
    def _changing(self, user: User | None, scenario: ScenarioRef,
                  action: Action) -> Iterator[tuple[Session, ScenarioRow, User]]:
        """A transaction on `scenario`, if `user` may do `action` to it; its change time is updated."""
        with self.transaction() as session:
            row = self._viewable(session, user, scenario, every_version=True)
            require(user, action, _record(row), what=f"scenario {row.title!r}")
            assert user is not None  # edit and manage are never granted to anonymous visitors
            yield session, row, user
            row.updated_at = _now()
            session.flush()

    def delete(self, user: User | None, scenario: ScenarioRef) -> ScenarioRecord:
        """Move `scenario` to the deleted list; `undelete` brings it back whole."""
        return self._set_deleted(user, scenario, deleted=True)

    def undelete(self, user: User | None, scenario: ScenarioRef) -> ScenarioRecord:
        """Bring a deleted scenario back with all its versions."""
        return self._set_deleted(user, scenario, deleted=False)

    def _set_deleted(self, user: User | None, scenario: ScenarioRef, *,
                     deleted: bool) -> ScenarioRecord:
        with self.transaction() as session:
            row = self._viewable(session, user, scenario, every_version=True)
            require(user, "manage", _record(row), what=f"scenario {row.title!r}")
            assert user is not None  # manage is never granted to anonymous visitors
            if deleted and row.deleted_at is None:
                row.deleted_at = _now()
                row.deleted_by_id = user.user_id
                self._event(session, row, user, "deleted")
            elif not deleted and row.deleted_at is not None:
                row.deleted_at = None
                row.deleted_by_id = None
                self._event(session, row, user, "undeleted")
            session.flush()
            return _record(row)


EVENT_WORDS = {"renamed": "renamed it", "published": "published version {detail}",
               "visibility": "made it {detail}", "editor_added": "made {detail} a co-editor",
               "editor_removed": "took {detail} off the co-editors", "deleted": "deleted it",
               "undeleted": "undeleted it"}


def _event_words(kind: str, detail: str) -> str:
    words = EVENT_WORDS.get(kind, kind).format(detail=detail)
    if kind == "renamed":
        words += f" ({detail.replace(' -> ', ' to ')})"
    return words


def _not_found(scenario: ScenarioRef, version: int | None = None) -> ScenarioNotFoundError:
    what = f"scenario {scenario!r:.80}" + ("" if version is None else f" version {version}")
    return ScenarioNotFoundError(f"{what}: {NOT_FOUND_WORDS}")


# Checked against when a username is unknown, so a wrong name costs the same time
# as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = (
    "scrypt:32768:8:1$0000000000000000$"
    + "0" * 128
)


class SaveConflictError(PlannerError):
    """Someone else saved a scenario after the version this save started from.

    Nothing is lost: `attempted` holds the content that was not saved (save it as a
    new scenario, or re-apply it on top of the newer version), and `current` holds
    the newer version that won (None if the scenario was deleted meanwhile), so a
    user can see both side by side.
    """

    def __init__(
        self,
        message: str,
        *,
        scenario_id: int,
        base_version: int,
        current_version: int,
        attempted: ScenarioContent,
        current: ScenarioVersion | None,
    ) -> None:
        super().__init__(message)
        self.scenario_id = scenario_id
        self.base_version = base_version
        self.current_version = current_version
        self.attempted = attempted
        self.current = current
