"""Who single-user mode answers, accounts mode behind a proxy, and the security headers on every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask
import pytest

from dashboard import create_app
from dashboard.config import Settings, settings_from_env
from dashboard.store_access import close_stores
from geo.errors import PlannerInputError


@pytest.fixture(scope="module")
def single_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    yield create_app(Settings(instance_folder=tmp_path_factory.mktemp("single"), port=8050))
    close_stores()


@pytest.fixture(scope="module")
def proxied_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    yield create_app(Settings(instance_folder=tmp_path_factory.mktemp("proxied"), auth_mode="accounts",
                              trusted_proxies=1, secure_cookies=True))
    close_stores()


@pytest.mark.parametrize("host", ["127.0.0.1:8050", "localhost:8050", "[::1]:8050", "localhost"])
def test_single_user_mode_answers_loopback_names_on_its_port(single_app, host: str) -> None:  # type: ignore[no-untyped-def]
    assert single_app.server.test_client().get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8050", "evil.example", "127.0.0.1.evil.example:8050",
                                  "localhost:9999", "localhost:80x", "192.168.1.4:8050"])
def test_single_user_mode_refuses_other_host_names_as_dns_rebinding_would_send(single_app, host: str) -> None:  # type: ignore[no-untyped-def]
    client = single_app.server.test_client()
    for path in ("/", "/_dash-layout", "/export/anything/briefing.html"):
        answer = client.get(path, headers={"Host": host})
        assert answer.status_code == 403, (host, path)
        assert "only the computer it runs on" in answer.get_data(as_text=True)


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"])
def test_single_user_mode_refuses_requests_through_a_proxy(single_app, header: str) -> None:  # type: ignore[no-untyped-def]
    answer = single_app.server.test_client().get("/", headers={"Host": "127.0.0.1:8050", header: "203.0.113.9"})
    assert answer.status_code == 403


def test_a_proxy_is_refused_for_single_user_mode_and_settings_are_checked() -> None:
    with pytest.raises(PlannerInputError, match="TRUSTED_PROXIES is for AUTH_MODE=accounts"):
        settings_from_env({"TRUSTED_PROXIES": "1"})
    with pytest.raises(PlannerInputError, match="TRUSTED_PROXIES must be"):
        settings_from_env({"AUTH_MODE": "accounts", "TRUSTED_PROXIES": "²"})
    with pytest.raises(PlannerInputError, match="SECURE_COOKIES must be"):
        settings_from_env({"SECURE_COOKIES": "maybe"})
    with pytest.raises(PlannerInputError, match="PORT must be"):
        settings_from_env({"PORT": "²"})
    settings = settings_from_env({"AUTH_MODE": "accounts", "TRUSTED_PROXIES": "1", "SECURE_COOKIES": "on"})
    assert (settings.trusted_proxies, settings.secure_cookies) == (1, True)


def test_accounts_mode_behind_a_proxy_marks_the_cookie_secure(proxied_app) -> None:  # type: ignore[no-untyped-def]
    client = proxied_app.server.test_client()
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "planner.example"}
    page = client.get("/", headers=headers)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    login = client.get("/login", headers=headers)
    cookie = login.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert login.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(("trusted", "seen"), [(0, ("10.0.0.2", "http")), (1, ("203.0.113.9", "https"))])
def test_the_client_address_and_scheme_come_from_the_proxy_only_when_trusted(
        tmp_path: Path, trusted: int, seen: tuple[str, str]) -> None:
    app = create_app(Settings(instance_folder=tmp_path, auth_mode="accounts", trusted_proxies=trusted))
    app.server.add_url_rule("/login/_whoami", "whoami",
                            lambda: f"{flask.request.remote_addr} {flask.request.scheme}")
    answer = app.server.test_client().get(
        "/login/_whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"})
    close_stores()
    assert answer.get_data(as_text=True) == " ".join(seen)


def test_every_page_carries_the_security_headers(single_app) -> None:  # type: ignore[no-untyped-def]
    client = single_app.server.test_client()
    for path in ("/", "/_dash-layout", "/login", "/healthz", "/no-such-page"):
        answer = client.get(path, headers={"Host": "127.0.0.1:8050"})
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Referrer-Policy"] == "same-origin", path
        assert answer.headers["X-Frame-Options"] == "DENY", path
    page = client.get("/", headers={"Host": "127.0.0.1:8050"})
    policy = page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "'sha256-" in policy and "'unsafe-eval'" not in policy
    assert page.headers["Cache-Control"] == "no-store"
