"""How much anyone may ask of the server: who may start which background job, how many at once, how large a request.

Every background job passes :func:`admit` as it starts, in the request that starts it (the
job managers in dashboard/jobs.py call it): the person asking must hold the job's role, a
data job's ticket must have been given to them, and nobody runs more than
MAX_RUNNING_JOBS_PER_USER jobs at once (counted in the store, so across workers). A
refusal is a 403 or 429 with the reason in words, and nothing starts.

Request bodies are limited by route: Dash's callback posts carry a few kilobytes, except the
uploads of those allowed to upload data, so everyone else's callback may be at most
CALLBACK_BODY_BYTES; the sign-in form less still.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import flask
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge, TooManyRequests

from dashboard import ids
from dashboard.auth import current_user
from dashboard.logging_setup import audit
from dashboard.store_access import scenario_store
from geo.errors import PlannerInputError
from geo.workspace.accounts import Role, User

MAX_RUNNING_JOBS_PER_USER = 2
JOB_MAX_AGE = timedelta(minutes=35)  # a little over the job time limit: a job older than this has ended
NOT_YET_SEEN = timedelta(minutes=1)  # a job with no backend id yet is taken to be starting for this long
CALLBACK_BODY_BYTES = 2 * 2**20
FORM_BODY_BYTES = 64 * 2**10
CALLBACK_PATH = "/_dash-update-component"


@dataclass(frozen=True)
class JobPolicy:
    """Who may start a background job: its name in the audit log and the role it needs."""

    name: str
    role: Role
    ticketed: bool = False  # its first argument is a data page ticket, which must be the asker's


# By the first output each job writes; a job not listed needs an administrator (so none is forgotten open).
POLICIES = {
    ids.MATRIX_JOB_RESULT: JobPolicy("travel_matrix", Role.ANALYST),
    ids.DATA_REPORT: JobPolicy("data", Role.ANALYST, ticketed=True),
    ids.SUGGESTION: JobPolicy("suggest", Role.VIEWER),
}
UNLISTED = JobPolicy("other", Role.ADMIN)


def policy_for(context: Any) -> JobPolicy:
    """The policy of the job Dash is starting, from the callback context it hands the manager."""
    outputs = context.get("outputs_list") if isinstance(context, dict) else None
    first = outputs[0] if isinstance(outputs, list) and outputs else outputs
    element = first.get("id") if isinstance(first, dict) else None
    return POLICIES.get(element, UNLISTED) if isinstance(element, str) else UNLISTED


def admit(key: str, args: Sequence[Any], context: Any, *,
          still_running: Callable[[str, str | None, timedelta], bool]) -> User:
    """Let the job start, or raise 403/429: the role, the ticket's owner and the per-user limit are checked."""
    from dashboard.data_page import read_ticket  # the data page builds on this module's limits

    policy, user = policy_for(context), current_user()
    if user is None or user.role < policy.role:
        audit("job_refused", user, job=policy.name, reason="role")
        raise Forbidden(f"Only people with the {policy.role.label} role or above can run this job.")
    if policy.ticketed:
        try:
            owner = read_ticket(args[0] if args else None).get("user")
        except PlannerInputError as error:
            raise Forbidden(str(error)) from None
        if owner != user.user_id:
            audit("job_refused", user, job=policy.name, reason="ticket")
            raise Forbidden("This request was made for someone else: reload the page and try again.")
    if not scenario_store().start_job(user, key, limit=MAX_RUNNING_JOBS_PER_USER, still_running=still_running,
                                      max_age=JOB_MAX_AGE):
        audit("job_refused", user, job=policy.name, reason="limit")
        raise TooManyRequests(f"You already have {MAX_RUNNING_JOBS_PER_USER} jobs running: wait for one to "
                              "finish, or cancel one, before starting another.")
    audit("job_started", user, job=policy.name)
    return user


def refusal(error: Exception) -> str | None:
    """Why a job was not let start (a 403 or 429 from :func:`admit`), in words; None for any other error."""
    if isinstance(error, Forbidden | TooManyRequests) and error.description:
        return str(error.description)
    return None


def started(key: str, handle: Any) -> None:
    """Note the backend's id of a job :func:`admit` let start (so a dead one frees its place)."""
    scenario_store().job_started(key, str(handle))


def finished(key: str) -> None:
    """Free the job's place (its result was collected, or it is no longer running).

    Outside a request (a manager used on its own) there is no app and no store to tell; a
    place not freed here is freed when its owner next starts a job and it is seen to have ended.
    """
    if flask.has_app_context():
        scenario_store().finish_job(key)


def request_body_limit(upload_bytes: int) -> int:
    """The largest body this request may carry: uploads only for those who may upload."""
    if flask.request.path == CALLBACK_PATH:
        user = current_user()
        return upload_bytes if user is not None and user.role >= Role.ANALYST else CALLBACK_BODY_BYTES
    if flask.request.path.startswith(("/login", "/logout")):
        return FORM_BODY_BYTES
    return upload_bytes


def register(server: flask.Flask, upload_bytes: int) -> None:
    """Limit every request's body on ``server`` by route (checked before the body is read)."""

    def limit_body() -> None:
        limit = request_body_limit(upload_bytes)
        flask.request.max_content_length = limit
        length = flask.request.content_length
        if length is not None and length > limit:
            raise RequestEntityTooLarge(f"This request is {length:,} bytes; at most {limit:,} are accepted here.")

    server.before_request(limit_body)
