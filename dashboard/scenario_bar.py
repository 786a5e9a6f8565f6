"""The scenario bar: save the plan, open saved scenarios and versions, share them safely, download them.

Every action goes through the scenario store with ``current_user()``; the store asks
``geo.workspace.accounts`` whether that person may do it, so a forged callback request is refused
exactly as a click would be. Disabled buttons are only a courtesy.

Opening always goes through the address bar: ``/scenario/<slug>`` opens the newest version
and ``/scenario/<slug>?version=N`` version N. The router keeps the planner on show for those
paths, and :func:`load_from_url` loads the scenario into the plan store (resetting undo).
Open, duplicate and restore just change the address; save and save-as write the new
version into ``ids.SCENARIO`` first, so the loader sees it is already open and keeps the
undo history.

A shared scenario is changed only by its author and the co-editors the author names;
anyone else's Save makes a copy of their own. Its author sees who else changed what
(versions, renames, sharing) under Versions. Making a scenario public publishes the
version open in the bar, and only that one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboard import data_access, history, ids
from dashboard.attrs import attrs
from dashboard.auth import current_user, describe_user
from dashboard.callbacks import CallbackRegistry
from dashboard.exports import EXPORTS, export_url, public_url
from dashboard.routes import SCENARIO_PATH, query_values, version_number
from dashboard.store_access import scenario_store
from geo.errors import PlannerError
from geo.scenarios import ScenarioContent, scenario_from_dict, scenario_to_dict
from geo.workspace.accounts import User, can_create, can_edit, can_manage
from geo.workspace.store import SaveConflictError, ScenarioRecord, ScenarioStore, ScenarioVersion

CALLBACKS = CallbackRegistry()
VISIBILITY_WORDS = {
    "draft": ("Draft", "only you (and the planner's administrators) can see it"),
    "group": ("Steering group (confidential)",
              "members of the steering group can see it; do not share it outside the group"),
    "public": ("Public", "anyone can read it, without signing in, at its public link"),
}
UNTITLED = "Untitled plan"
PUBLISHED_ONLY = {"public": " (the version open here; the others stay as they are)."}


class _NoChange:
    """Leave this output as it is (Dash's no_update, kept out of the pure code)."""


NO_CHANGE = _NoChange()
State_ = dict[str, Any] | None


# ---------------------------------------------------------------------------------------
# Pure helpers: addresses, state and content
# ---------------------------------------------------------------------------------------
def scenario_address(slug: str, version: int | None = None) -> tuple[str, str]:
    """(pathname, search) of a scenario, or of one version of it."""
    return f"{SCENARIO_PATH}/{slug}", "" if version is None else f"?version={version}"


def parse_address(pathname: str | None, search: str | None) -> tuple[str, int | None] | None:
    """The (slug, version) a scenario address asks for; None for other pages.

    Raises PlannerError for a version that is not a whole number from 1.
    """
    path = (pathname or "").rstrip("/")
    prefix = SCENARIO_PATH + "/"
    if not path.startswith(prefix) or "/" in path[len(prefix):] or path == prefix.rstrip("/"):
        return None
    return path[len(prefix):], version_number(query_values(search).get("version"))


def record_state(record: ScenarioRecord, version: int, user: User | None) -> dict[str, Any]:
    """What the browser keeps about the open scenario (see ids.SCENARIO)."""
    return {
        "slug": record.slug, "title": record.title, "version": version,
        "current_version": record.current_version, "visibility": record.visibility,
        "audience": record.audience, "published_version": record.published_version,
        "editors": list(record.editors), "author": record.author, "deleted": record.deleted_at is not None,
        "can_edit": can_edit(user, record), "can_manage": can_manage(user, record),
        "can_create": can_create(user),
    }


def version_state(opened: ScenarioVersion, user: User | None) -> dict[str, Any]:
    return record_state(opened.scenario, opened.version, user)


def plan_content(plan_data: dict[str, Any], notes: str | None, release_note: str | None) -> ScenarioContent:
    """The plan in the browser with the notes typed in the bar: what a save stores."""
    return dataclasses.replace(scenario_from_dict(plan_data), notes=notes or "", release_note=release_note or "")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when(moment: datetime) -> str:
    return f"{moment:%d %b %Y %H:%M} UTC"


def heading_text(state: State_) -> str:
    """One line saying what is open: unsaved, which version, who may see it."""
    if not state:
        return "Not saved yet: save the plan to keep it, share it and download it."
    text = f"{state['title']}: version {state['version']} of {state['current_version']} ({version_label(state)})"
    if state.get("deleted"):
        return text + ". Deleted: undelete it to work on it again."
    if state["version"] != state["current_version"]:
        return text + ". This is an older version: restore it to make it the newest, or save it as a new scenario."
    return text + "."


def version_label(state: dict[str, Any]) -> str:
    """Who may read the open version: "Public" for the published one, else the scenario's audience."""
    published = state.get("published_version")
    if published is not None and published == state["version"]:
        return VISIBILITY_WORDS["public"][0]
    label = VISIBILITY_WORDS[state.get("audience") or state["visibility"]][0]
    return label + (f"; version {published} is public" if published is not None else "")


# ---------------------------------------------------------------------------------------
# Actions: one pure-ish function per click, each through the store (which checks access)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What an action changes: a message, the open scenario, the address, a conflict to show."""

    message: str | None
    tone: str = "success"
    state: State_ | _NoChange = NO_CHANGE
    address: tuple[str, str] | None = None
    conflict: str | None = None


@dataclass(frozen=True)
class BarInput:
    """What the bar holds when a button is pressed."""

    state: State_
    plan: dict[str, Any]
    title: str | None = None
    change_note: str | None = None
    notes: str | None = None
    release_note: str | None = None
    visibility: str = "draft"
    picked: str | None = None
    picked_version: int | None = None
    editor_name: str | None = None


def _need_open(state: State_) -> dict[str, Any]:
    if not state:
        raise PlannerError("Save the plan first: it is not a saved scenario yet.")
    return state


def _saved(opened: ScenarioVersion, user: User | None, message: str) -> Outcome:
    return Outcome(message, state=version_state(opened, user), address=scenario_address(opened.scenario.slug,
                                                                                        opened.version))


def save_as(store: ScenarioStore, user: User | None, given: BarInput, *, title: str | None = None) -> Outcome:
    content = plan_content(given.plan, given.notes, given.release_note)
    name = (title or given.title or "").strip() or f"{UNTITLED} {datetime.now():%d %b %Y %H:%M}"
    opened = store.create_scenario(user, name, content, visibility=given.visibility,  # type: ignore[arg-type]
                                   message=(given.change_note or "").strip() or "Created")
    return _saved(opened, user, f"Saved as a new scenario, {opened.scenario.title!r} (version 1).")


def save(store: ScenarioStore, user: User | None, given: BarInput) -> Outcome:
    if not given.state or given.state.get("deleted"):
        return save_as(store, user, given)
    if not given.state.get("can_edit"):  # someone else's shared scenario: a copy of one's own
        title = f"{given.state['title']} (my version)"[:200]
        copied = save_as(store, user, given, title=title)
        return dataclasses.replace(copied, message=(
            f"Only the author and co-editors of {given.state['title']!r} can save new versions of it, so your plan "
            f"was saved as a new scenario of your own, {title!r}. Theirs is unchanged."))
    content = plan_content(given.plan, given.notes, given.release_note)
    try:
        opened = store.save(user, given.state["slug"], content, base_version=int(given.state["version"]),
                            message=(given.change_note or "").strip() or "Saved")
    except SaveConflictError as conflict:
        newer = {**given.state, "current_version": conflict.current_version}
        return Outcome("Not saved: someone else saved this scenario first. Your plan is still here, unchanged.",
                       tone="warning", conflict=_sentence(str(conflict)), state=newer)
    return _saved(opened, user, f"Saved as version {opened.version}.")


def _reopen(slug: str, version: int | None = None, message: str | None = None) -> Outcome:
    """Point the address at a scenario and forget the open one, so the loader opens it afresh."""
    return Outcome(message, state=None, address=scenario_address(slug, version))


def run_action(action: str, store: ScenarioStore, user: User | None, given: BarInput) -> Outcome:
    """Do what the button ``action`` (an id in ids.SCENARIO_*) asks, as ``user``."""
    if action == ids.SCENARIO_SAVE:
        return save(store, user, given)
    if action == ids.SCENARIO_SAVE_AS:
        return save_as(store, user, given)
    if action == ids.SCENARIO_CONFLICT_SAVE_AS:
        state = _need_open(given.state)
        return save_as(store, user, given, title=f"{state['title']} (my version)")
    if action == ids.SCENARIO_OPEN:
        if not given.picked:
            raise PlannerError("Choose a scenario to open from the list.")
        return _reopen(given.picked)
    if action == ids.SCENARIO_VISIBILITY and not given.state:
        return Outcome(None)  # remembered for the first save
    if action == ids.SCENARIO_UNDELETE:
        slug = given.picked or _need_open(given.state)["slug"]
        record = store.undelete(user, slug)
        message = f"{record.title!r} is back, with all its versions."
        if given.state and given.state["slug"] == record.slug:
            return Outcome(message, state=record_state(record, given.state["version"], user))
        return _reopen(record.slug, None, message)
    return _act_on_open(action, store, user, given, _need_open(given.state))


def _act_on_open(action: str, store: ScenarioStore, user: User | None, given: BarInput,
                 state: dict[str, Any]) -> Outcome:
    """The actions on the scenario open in the planner (``state``)."""
    slug = state["slug"]
    if action == ids.SCENARIO_CONFLICT_OPEN:
        return _reopen(slug, int(state["current_version"]))
    if action == ids.SCENARIO_OPEN_VERSION:
        if given.picked_version is None:
            raise PlannerError("Choose a version from the list.")
        return _reopen(slug, given.picked_version)
    if action == ids.SCENARIO_RESTORE:
        if given.picked_version is None:
            raise PlannerError("Choose the version to restore from the list.")
        opened = store.restore(user, slug, given.picked_version, base_version=int(state["current_version"]))
        return _reopen(slug, opened.version,
                       f"Version {given.picked_version} restored as version {opened.version}; nothing was lost.")
    if action == ids.SCENARIO_RENAME:
        record = store.rename(user, slug, given.title or "")
        return Outcome(f"Renamed to {record.title!r}; its links stay the same.",
                       state=record_state(record, state["version"], user))
    if action == ids.SCENARIO_DUPLICATE:
        copy = store.duplicate(user, slug, version=int(state["version"]))
        return _reopen(copy.scenario.slug, 1, f"Copied to a new draft, {copy.scenario.title!r}.")
    if action == ids.SCENARIO_DELETE:
        record = store.delete(user, slug)
        return Outcome(f"{record.title!r} deleted. Nothing is lost: Undelete brings it back.",
                       state=record_state(record, state["version"], user))
    if action == ids.SCENARIO_VISIBILITY:
        return share(store, user, given, state)
    if action in (ids.SCENARIO_EDITOR_ADD, ids.SCENARIO_EDITOR_REMOVE):
        adding = action == ids.SCENARIO_EDITOR_ADD
        name = (given.editor_name or "").strip()
        if not name:
            raise PlannerError("Type the username of the person to add or remove as a co-editor.")
        record = store.set_editor(user, slug, name, editor=adding)
        words = (f"{name.lower()} can now save new versions of {record.title!r} and rename it." if adding
                 else f"{name.lower()} is no longer a co-editor of {record.title!r}.")
        return Outcome(words, state=record_state(record, state["version"], user))
    raise PlannerError(f"Nothing to do for {action}.")


def share(store: ScenarioStore, user: User | None, given: BarInput, state: dict[str, Any]) -> Outcome:
    """Change who may see the scenario; "public" publishes the version open in the bar, and only it."""
    if given.visibility == state["visibility"]:
        return Outcome(None)
    version = int(state["version"])
    record = store.set_visibility(user, state["slug"], given.visibility,  # type: ignore[arg-type]
                                  version=version if given.visibility == "public" else None)
    if record.visibility == "public":
        label, meaning = VISIBILITY_WORDS[record.audience]
        message = (f"Version {version} is now public: anyone can read it at its public link. Every other version "
                   f"is still {label.lower()}: {meaning}.")
    else:
        label, meaning = VISIBILITY_WORDS[record.visibility]
        message = f"Now {label}: {meaning}."
    return Outcome(message, state=record_state(record, state["version"], user))


def open_from_address(store: ScenarioStore, user: User | None, pathname: str | None, search: str | None,
                      state: State_) -> tuple[ScenarioVersion | None, str | None]:
    """The scenario version the address asks for, unless it is already open; or a message why not."""
    wanted = parse_address(pathname, search)
    if wanted is None:
        return None, None
    slug, version = wanted
    if state and state.get("slug") == slug and version in (None, state.get("version")):
        return None, None  # just saved or already open: keep the plan and its undo history
    opened = store.open_version(user, slug, version)
    return opened, f"Opened {opened.scenario.title!r}, version {opened.version}, saved by {opened.author} " \
                   f"on {_when(opened.created_at)}."


# ---------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------
def message_view(text: str | None, tone: str = "success") -> Any:
    if not text:
        return None
    return html.Div(text, className=f"scenario-message scenario-tone-{tone}")


def download_links(state: State_, mode: str | None, data_version: str | None = None) -> Any:
    """Links to the saved version's files, worked out on the page's data version."""
    if not state or state.get("deleted"):
        return html.P("Save the plan to download its briefing pack, area results and maps.", className="small mb-0")
    items = [html.Li(html.A(label, href=export_url(state["slug"], name, version=state["version"], mode=mode,
                                                   data_version=data_version),
                            target="_blank", rel="noopener"))
             for name, (label, _) in EXPORTS.items()]
    return html.Div([
        html.P(f"Version {state['version']} as saved (unsaved changes are not included).", className="small mb-1"),
        html.Ul(items, className="scenario-download-list mb-0"),
    ])


def share_links(state: State_) -> Any:
    if not state:
        return None
    path, search = scenario_address(state["slug"], state["version"])
    links = [html.Li(["Link to this version: ", html.A(path + search, href=path + search)])]
    if state["visibility"] == "public":
        links.append(html.Li(["Public read-only link: ", html.A(public_url(state["slug"]),
                                                                 href=public_url(state["slug"]), target="_blank")]))
    return html.Ul(links, className="small mb-0 scenario-link-list")


def version_options(store: ScenarioStore, user: User | None, state: State_) -> list[dict[str, Any]]:
    if not state:
        return []
    return [{"label": f"{v.version}: {_when(v.created_at)}, {v.author}" + (f" - {v.message}" if v.message else ""),
             "value": v.version}
            for v in reversed(store.versions(user, state["slug"]))]


def scenario_options(store: ScenarioStore, user: User | None, *, deleted: bool) -> list[dict[str, str]]:
    return [{"label": f"{r.title} ({VISIBILITY_WORDS[r.visibility][0]}, {r.author}, v{r.current_version})",
             "value": r.slug}
            for r in store.scenarios(user, deleted=deleted)]


def _button(label: str, element_id: str, title: str, color: str = "secondary") -> dbc.Button:
    return dbc.Button(label, id=element_id, color=color, outline=color != "primary", size="sm", title=title)


def _section(summary: str, children: list[Any]) -> html.Details:
    return html.Details(className="scenario-section", children=[html.Summary(summary), html.Div(children)])


def layout() -> html.Div:
    """The scenario card at the top of the side column, folded to one line (what is open, who may see
    it) so the tabs below stay in view on a projector's screen; what an action says shows below it."""
    visibility_options = [{"label": html.Span([html.Strong(label), f": {meaning}" + PUBLISHED_ONLY.get(key, ".")]),
                           "value": key} for key, (label, meaning) in VISIBILITY_WORDS.items()]
    card = html.Details(className="card panel-card scenario-card", id=ids.SCENARIO_CARD, children=[
        html.Summary(className="card-header scenario-summary", children=[
            html.H2("Scenario", className="h5 mb-0"),
            html.Span(heading_text(None), id=ids.SCENARIO_HEADING, className="scenario-heading"),
        ]),
        html.Div(className="card-body", children=[
            dcc.Store(id=ids.SCENARIO, data=None),
            html.P(id=ids.SCENARIO_WHO, className="small text-muted mb-2"),
            html.Div(className="d-flex gap-2 align-items-end", children=[
                html.Div(className="flex-grow-1", children=[
                    dbc.Label("Scenario name", html_for=ids.SCENARIO_TITLE, className="mb-0 small fw-semibold"),
                    dbc.Input(id=ids.SCENARIO_TITLE, type="text", maxLength=200, placeholder=UNTITLED, size="sm"),
                ]),
                html.Div(className="flex-grow-1", children=[
                    dbc.Label("What changed (optional)", html_for=ids.SCENARIO_CHANGE_NOTE,
                              className="mb-0 small fw-semibold"),
                    dbc.Input(id=ids.SCENARIO_CHANGE_NOTE, type="text", maxLength=500, size="sm",
                              placeholder="kept in the history"),
                ]),
            ]),
            html.Div(className="scenario-buttons", role="group", **attrs({"aria-label": "Scenario actions"}), children=[
                _button("Save", ids.SCENARIO_SAVE, "Save the plan as the next version of this scenario", "primary"),
                _button("Save as new", ids.SCENARIO_SAVE_AS, "Save the plan as a new scenario with the name above"),
                _button("Rename", ids.SCENARIO_RENAME, "Give this scenario the name above; its links stay the same"),
                _button("Duplicate", ids.SCENARIO_DUPLICATE, "Copy this version into a new draft scenario"),
                _button("Delete", ids.SCENARIO_DELETE, "Move this scenario to the deleted list (it can be undeleted)",
                        "danger"),
            ]),
            _section("Who can see it", [
                dbc.RadioItems(id=ids.SCENARIO_VISIBILITY, value="draft", options=visibility_options,
                               className="scenario-visibility"),
                dbc.Label("When it may be shared (printed on the briefing pack)", html_for=ids.SCENARIO_RELEASE_NOTE,
                          className="mt-2 mb-0 small fw-semibold"),
                dbc.Textarea(id=ids.SCENARIO_RELEASE_NOTE, rows=2, maxLength=2000,
                             placeholder="e.g. Confidential until the cabinet decision on 12 May; then public."),
                html.Div(id=ids.SCENARIO_LINKS, className="mt-2"),
                dbc.Label("Co-editors: people who may save new versions and rename it (others save a copy)",
                          html_for=ids.SCENARIO_EDITOR_NAME, className="mt-2 mb-0 small fw-semibold"),
                html.Div(className="d-flex gap-2", children=[
                    dbc.Input(id=ids.SCENARIO_EDITOR_NAME, type="text", maxLength=40, size="sm",
                              placeholder="username", autoComplete="off"),
                    _button("Add", ids.SCENARIO_EDITOR_ADD, "Let this planner save new versions of the scenario"),
                    _button("Remove", ids.SCENARIO_EDITOR_REMOVE, "Take this person off the co-editors"),
                ]),
                html.P(id=ids.SCENARIO_EDITORS, className="small mb-0 mt-1"),
            ]),
            _section("Notes", [
                dbc.Label("Notes for the group (saved with the next Save)", html_for=ids.SCENARIO_NOTES,
                          className="mb-0 small fw-semibold"),
                dbc.Textarea(id=ids.SCENARIO_NOTES, rows=3, maxLength=20000),
            ]),
            _section("Open a saved scenario", [
                dbc.Label("Saved scenarios you may see", html_for=ids.SCENARIO_PICK, className="mb-0 small"),
                dcc.Dropdown(id=ids.SCENARIO_PICK, placeholder="Choose a scenario"),
                dbc.Checkbox(id=ids.SCENARIO_SHOW_DELETED, label="Show deleted scenarios instead", value=False,
                             className="mt-1"),
                html.Div(className="d-flex gap-2 mt-1", children=[
                    _button("Open", ids.SCENARIO_OPEN, "Open the chosen scenario (your unsaved changes are replaced)"),
                    _button("Undelete", ids.SCENARIO_UNDELETE, "Bring back the chosen deleted scenario"),
                ]),
            ]),
            _section("Versions", [
                dbc.Label("Saved versions of this scenario, newest first", html_for=ids.SCENARIO_VERSION_PICK,
                          className="mb-0 small"),
                dcc.Dropdown(id=ids.SCENARIO_VERSION_PICK, placeholder="Choose a version"),
                html.Div(className="d-flex gap-2 mt-1", children=[
                    _button("Open this version", ids.SCENARIO_OPEN_VERSION, "Look at the chosen version"),
                    _button("Restore as newest", ids.SCENARIO_RESTORE,
                            "Save a copy of the chosen version as the newest; later versions are kept"),
                ]),
                html.Div(id=ids.SCENARIO_CHANGES, className="mt-2"),
            ]),
            _section("Download", [html.Div(id=ids.SCENARIO_DOWNLOADS, children=download_links(None, None))]),
        ]),
    ])
    return html.Div(className="scenario-bar", children=[
        card,
        html.Div(id=ids.SCENARIO_MESSAGE, role="status", **attrs({"aria-live": "polite"})),
        dbc.Alert(id=ids.SCENARIO_CONFLICT, is_open=False, color="warning", className="mt-2 mb-0", children=[
            html.P(id=ids.SCENARIO_CONFLICT_TEXT, className="mb-2"),
            html.Div(className="d-flex flex-wrap gap-2", children=[
                dbc.Button("Save my plan as a new scenario", id=ids.SCENARIO_CONFLICT_SAVE_AS, color="primary",
                           size="sm"),
                dbc.Button("Open the newest version instead", id=ids.SCENARIO_CONFLICT_OPEN, color="secondary",
                           outline=True, size="sm", title="Your unsaved changes are replaced by theirs"),
            ]),
        ]),
    ])


# ---------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------
ACTION_BUTTONS = (ids.SCENARIO_SAVE, ids.SCENARIO_SAVE_AS, ids.SCENARIO_RENAME, ids.SCENARIO_DUPLICATE,
                  ids.SCENARIO_DELETE, ids.SCENARIO_UNDELETE, ids.SCENARIO_OPEN, ids.SCENARIO_OPEN_VERSION,
                  ids.SCENARIO_RESTORE, ids.SCENARIO_CONFLICT_SAVE_AS, ids.SCENARIO_CONFLICT_OPEN,
                  ids.SCENARIO_EDITOR_ADD, ids.SCENARIO_EDITOR_REMOVE)


@CALLBACKS.callback(
    Output(ids.SCENARIO, "data"), Output(ids.SCENARIO_MESSAGE, "children"),
    Output(ids.SCENARIO_CONFLICT, "is_open"), Output(ids.SCENARIO_CONFLICT_TEXT, "children"),
    Output(ids.URL, "pathname", allow_duplicate=True), Output(ids.URL, "search", allow_duplicate=True),
    *[Input(button, "n_clicks") for button in ACTION_BUTTONS], Input(ids.SCENARIO_VISIBILITY, "value"),
    State(ids.SCENARIO, "data"), State(ids.PLAN, "data"), State(ids.SCENARIO_TITLE, "value"),
    State(ids.SCENARIO_CHANGE_NOTE, "value"), State(ids.SCENARIO_NOTES, "value"),
    State(ids.SCENARIO_RELEASE_NOTE, "value"), State(ids.SCENARIO_PICK, "value"),
    State(ids.SCENARIO_VERSION_PICK, "value"), State(ids.SCENARIO_EDITOR_NAME, "value"),
    prevent_initial_call=True,
)
def act(*values: Any) -> tuple[Any, ...]:
    visibility, state, plan, title, change_note, notes, release_note, picked, picked_version, editor = values[-10:]
    given = BarInput(state=state, plan=plan, title=title, change_note=change_note, notes=notes,
                     release_note=release_note, visibility=visibility or "draft", picked=picked,
                     picked_version=picked_version, editor_name=editor)
    try:
        outcome = run_action(str(ctx.triggered_id), scenario_store(), current_user(), given)
    except PlannerError as error:
        outcome = Outcome(str(error), tone="danger")
    if outcome == Outcome(None):
        return (no_update,) * 6
    address = outcome.address or (no_update, no_update)
    return (no_update if isinstance(outcome.state, _NoChange) else outcome.state,
            no_update if outcome.message is None else message_view(outcome.message, outcome.tone),
            outcome.conflict is not None, outcome.conflict or "", *address)


@CALLBACKS.callback(
    Output(ids.PLAN, "data", allow_duplicate=True), Output(ids.PLAN_HISTORY, "data", allow_duplicate=True),
    Output(ids.SCENARIO, "data", allow_duplicate=True), Output(ids.SCENARIO_MESSAGE, "children", allow_duplicate=True),
    Output(ids.SCENARIO_NOTES, "value"), Output(ids.SCENARIO_RELEASE_NOTE, "value"),
    Input(ids.URL, "pathname"), Input(ids.URL, "search"), State(ids.SCENARIO, "data"),
    prevent_initial_call="initial_duplicate",
)
def load_from_url(pathname: str | None, search: str | None, state: State_) -> tuple[Any, ...]:
    user = current_user()
    try:
        opened, message = open_from_address(scenario_store(), user, pathname, search, state)
    except PlannerError as error:
        return no_update, no_update, no_update, message_view(str(error), "danger"), no_update, no_update
    if opened is None:
        return (no_update,) * 6
    return (scenario_to_dict(opened.content), history.empty(), version_state(opened, user), message_view(message),
            opened.content.notes, opened.content.release_note)


@CALLBACKS.callback(
    Output(ids.SCENARIO_HEADING, "children"), Output(ids.SCENARIO_TITLE, "value"),
    Output(ids.SCENARIO_VISIBILITY, "value"), Output(ids.SCENARIO_VERSION_PICK, "options"),
    Output(ids.SCENARIO_LINKS, "children"), Output(ids.SCENARIO_SAVE, "disabled"),
    Output(ids.SCENARIO_RENAME, "disabled"), Output(ids.SCENARIO_DUPLICATE, "disabled"),
    Output(ids.SCENARIO_DELETE, "disabled"), Output(ids.SCENARIO_RESTORE, "disabled"),
    Output(ids.SCENARIO_EDITORS, "children"), Output(ids.SCENARIO_CHANGES, "children"),
    Input(ids.SCENARIO, "data"),
)
def show_scenario(state: State_) -> tuple[Any, ...]:
    store, user = scenario_store(), current_user()
    try:
        versions = version_options(store, user, state)
    except PlannerError:
        versions = []
    if not state:
        return heading_text(None), no_update, no_update, [], None, False, True, True, True, True, None, None
    editable = bool(state["can_edit"]) and not state["deleted"]
    may_save = state["deleted"] or editable or bool(state.get("can_create"))  # others save a copy
    return (heading_text(state), state["title"], state["visibility"], versions, share_links(state),
            not may_save, not editable, not state.get("can_create"),
            not state["can_manage"] or state["deleted"], not editable, editors_text(state),
            changes_view(store, user, state))


def editors_text(state: dict[str, Any]) -> str:
    """Who may change the scenario, in words."""
    editors = state.get("editors") or []
    if not editors:
        return f"Only the author ({state['author']}) can save new versions or rename it: no co-editors yet."
    return (f"The author ({state['author']}) and the co-editors ({', '.join(editors)}) can save new versions "
            "or rename it.")


def changes_view(store: ScenarioStore, user: User | None, state: dict[str, Any]) -> Any:
    """For the author: what other people did to the scenario, newest first."""
    if not state.get("can_manage"):
        return None
    try:
        changes = store.changes(user, state["slug"])
    except PlannerError:
        return None
    if not changes:
        return html.P("Nobody else has changed this scenario.", className="small mb-0")
    return html.Div([
        html.H3("Changes by other people", className="h6 mb-1"),
        html.Ul([html.Li(f"{_when(c.created_at)}: {c.who} {c.what}") for c in changes[:20]],
                className="small mb-0 scenario-change-list"),
    ])


@CALLBACKS.callback(Output(ids.SCENARIO_DOWNLOADS, "children"), Input(ids.SCENARIO, "data"),
                    Input(ids.TRAVEL_MODE, "value"))
def show_downloads(state: State_, mode: str | None) -> Any:
    return download_links(state, mode, data_access.current_dataset_version())


@CALLBACKS.callback(Output(ids.SCENARIO_PICK, "options"), Output(ids.SCENARIO_WHO, "children"),
                    Input(ids.SCENARIO, "data"), Input(ids.SCENARIO_SHOW_DELETED, "value"))
def list_scenarios(_state: State_, show_deleted: bool | None) -> tuple[list[dict[str, str]], str]:
    user = current_user()
    return scenario_options(scenario_store(), user, deleted=bool(show_deleted)), describe_user(user)


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
