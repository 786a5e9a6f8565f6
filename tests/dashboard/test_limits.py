"""Background jobs: roles, per-user limits, tickets bound to their user, a capped cache; request body limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import Forbidden, TooManyRequests

from dashboard import create_app, ids, jobs, limits
from dashboard.auth import begin_session
from dashboard.config import Settings
from dashboard.data_page import issue_ticket
from dashboard.store_access import close_stores, store_for
from geo.workspace.accounts import Role
from geo.workspace.store import sqlite_url
from tests.support.callback_client import post_callback
from tests.support.saved_scenarios import PASSWORD, signed_in


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    made = create_app(Settings(instance_folder=tmp_path, auth_mode="accounts"))
    store = store_for(sqlite_url(tmp_path))
    for name, role in (("vic", Role.VIEWER), ("ann", Role.ANALYST), ("amy", Role.ANALYST)):
        store.create_user(name, PASSWORD, role)
    yield made
    close_stores()


def context_of(output: str) -> dict[str, Any]:
    return {"outputs_list": [{"id": output, "property": "data"}]}


def always_running(_key: str, _handle: str | None, _age: timedelta) -> bool:
    return True


def test_a_viewer_cannot_start_the_matrix_job(app: Any) -> None:
    vic = signed_in(app, "vic")
    status, answer = post_callback(vic, f"{ids.MATRIX_JOB_RESULT}.data",
                                   {f"{ids.MATRIX_JOB_REQUEST}.data": {"mode": "walk"}},
                                   triggered=f"{ids.MATRIX_JOB_REQUEST}.data")
    assert status == 200 and "job" not in answer  # no job handle: nothing started
    assert answer[ids.MATRIX_JOB_RESULT]["data"] == {
        "status": "refused", "message": "Only people with the analyst role or above can run this job."}


def test_each_person_runs_at_most_two_jobs_at_once(app: Any) -> None:
    store = store_for(sqlite_url(app.server.config["DSP_SETTINGS"].instance_folder))
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(store.user("ann"))
        for n in range(limits.MAX_RUNNING_JOBS_PER_USER):
            limits.admit(f"job-{n}", [{"mode": "walk"}], context_of(ids.MATRIX_JOB_RESULT),
                         still_running=always_running)
        with pytest.raises(TooManyRequests, match="2 jobs running"):
            limits.admit("job-9", [{"mode": "walk"}], context_of(ids.MATRIX_JOB_RESULT), still_running=always_running)
        limits.finished("job-0")  # one finished: its place is free again
        limits.admit("job-9", [{"mode": "walk"}], context_of(ids.MATRIX_JOB_RESULT), still_running=always_running)
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(store.user("amy"))  # someone else's jobs do not count against her
        limits.admit("job-amy", [{"mode": "walk"}], context_of(ids.MATRIX_JOB_RESULT), still_running=always_running)


def test_jobs_that_have_ended_free_their_places(app: Any) -> None:
    store = store_for(sqlite_url(app.server.config["DSP_SETTINGS"].instance_folder))
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(store.user("ann"))
        for n in range(5):
            limits.admit(f"gone-{n}", [], context_of(ids.SUGGESTION),
                         still_running=lambda key, handle, age: False)


def test_a_data_ticket_works_only_for_the_person_it_was_given_to(app: Any) -> None:
    store = store_for(sqlite_url(app.server.config["DSP_SETTINGS"].instance_folder))
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(store.user("ann"))
        ticket = issue_ticket("check")
        limits.admit("data-ann", [ticket], context_of(ids.DATA_REPORT), still_running=always_running)
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(store.user("amy"))
        with pytest.raises(Forbidden, match="made for someone else"):
            limits.admit("data-amy", [ticket], context_of(ids.DATA_REPORT), still_running=always_running)
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(store.user("vic"))
        with pytest.raises(Forbidden, match="analyst role"):
            limits.admit("data-vic", [ticket], context_of(ids.DATA_REPORT), still_running=always_running)
        with pytest.raises(Forbidden, match="admin role"):  # a job nobody listed is for administrators only
            limits.admit("other", [], context_of("some-new-job"), still_running=always_running)


def test_callback_bodies_are_small_unless_the_sender_may_upload(app: Any) -> None:
    big = b'{"output": "x", "padding": "' + b"a" * (3 * 2**20) + b'"}'
    for name, allowed in (("vic", False), ("ann", True)):
        answer = signed_in(app, name).post("/_dash-update-component", data=big,
                                           headers={"Content-Type": "application/json"})
        assert (answer.status_code == 413) is not allowed, name
    assert limits.CALLBACK_BODY_BYTES < 3 * 2**20 < app.server.config["MAX_CONTENT_LENGTH"]


def test_the_job_caches_are_capped(app: Any, tmp_path: Path) -> None:
    manager = app._background_manager if hasattr(app, "_background_manager") else None
    handle = (manager or jobs.background_manager(Settings(instance_folder=tmp_path / "other"))).handle
    assert handle.size_limit == jobs.JOB_CACHE_BYTES and handle.eviction_policy == "least-recently-stored"
    folder = tmp_path / "matrices"
    folder.mkdir()
    for n in range(5):
        path = folder / f"m{n}.npz"
        path.write_bytes(b"x" * 1000)
        import os

        os.utime(path, (n, n))
    assert jobs.evict_oldest(folder, 2500) == 3
    assert sorted(p.name for p in folder.iterdir()) == ["m3.npz", "m4.npz"]
