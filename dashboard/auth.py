"""Who is asking: single-user mode on your own computer, or signed-in accounts on a server.

``current_user()`` is what every callback and download passes to the scenario store,
which asks ``geo.workspace.accounts`` whether that person may see or change a scenario. Hiding a
button is never the protection; the store's check is.

* ``AUTH_MODE=single-user`` (the default on a loopback HOST, what ``make run`` gives): no
  login; every request acts as one local administrator, ``local``, so only requests that
  are plainly from this computer are answered: from a loopback address, to a loopback
  name and the app's port (a web page elsewhere cannot reach it by DNS rebinding), and
  with no proxy headers (behind a proxy every visitor would be the administrator).
* ``AUTH_MODE=accounts``: every page, callback and download needs a signed-in account
  (accounts are made with ``python -m cli.accounts``), except the sign-in page, static
  files and the public read-only links under ``/public/``, which show public scenarios to
  anyone (``current_user()`` is None there).

Signing in starts a session in the store (``user_sessions``); Flask's signed cookie (HttpOnly,
SameSite=Lax, Secure with SECURE_COOKIES; signed with SECRET_KEY or a key generated once into
the instance folder) carries only its random token. So a session ends for good on sign-out,
after IDLE_TIMEOUT without a request, after SESSION_LIFETIME, and for every browser of an
account whose password changes or that is disabled: a copied cookie stops working.

Wrong passwords are counted in the store, so every worker sees them: after
ACCOUNT_FAILURE_LIMIT for one account, or ADDRESS_FAILURE_LIMIT from one address, within
FAILURE_WINDOW, sign-in is refused (before any password is checked) until the oldest
falls out of the window. Sign-ins, failures and refusals go to the audit log by account
number only. Behind a reverse
proxy, TRUSTED_PROXIES says how many proxies' X-Forwarded-* headers to believe (Werkzeug's
ProxyFix); without it they are ignored. Posts are CSRF-safe: the sign-in and
sign-out forms carry a per-session token, and any POST whose Origin or Sec-Fetch-Site
says it came from another site is refused (Dash's own callback posts are JSON, which a
cross-site form cannot send).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
from flask import Flask, g, render_template_string, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.config import AUTH_MODES, LOOPBACK_HOSTS, MIN_SECRET_KEY_CHARS, Settings
from dashboard.logging_setup import audit
from dashboard.store_access import current_settings, scenario_store
from geo.errors import PlannerInputError
from geo.workspace.accounts import Role, User
from geo.workspace.store import ScenarioStore

LOCAL_USERNAME = "local"
SECRET_KEY_FILE = "secret_key"
SESSION_COOKIE = "dsp_session"
SESSION_TOKEN_KEY = "sid"
CSRF_KEY = "csrf"
IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)
FAILURE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
PUBLIC_PREFIX = "/public"
# Served to anyone in accounts mode: the sign-in pages, static files and public links.
OPEN_PREFIXES = ("/login", "/logout", "/assets/", "/_dash-component-suites/", "/_favicon.ico", PUBLIC_PREFIX)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Headers a proxy adds: a request carrying any of them did not come straight from this computer.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
                 "X-Forwarded-Prefix", "X-Real-IP", "X-Client-IP", "True-Client-IP", "Via")


# ---------------------------------------------------------------------------------------
# Who is asking
# ---------------------------------------------------------------------------------------
def current_user() -> User | None:
    """The person making this request; None for an anonymous visitor (public links only).

    Call it inside a request (every ordinary callback and route runs in one); background
    callbacks run in another process and must be handed what they need instead.
    """
    if "dsp_user" not in g:
        g.dsp_user = _resolve_user()
    user: User | None = g.dsp_user
    return user


def _resolve_user() -> User | None:
    if request.path == PUBLIC_PREFIX or request.path.startswith(PUBLIC_PREFIX + "/"):
        return None  # the public link shows what anyone may see, whoever is signed in
    store = scenario_store()
    if current_settings().auth_mode == "single-user":
        return local_user(store)
    token = session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str):
        return None
    return store.session_user(token, idle=IDLE_TIMEOUT, lifetime=SESSION_LIFETIME)


def begin_session(user: User) -> None:
    """Sign ``user`` in on this browser: a fresh cookie holding a new session's token."""
    session.clear()  # a new session on sign-in, so a planted cookie cannot be reused
    session[SESSION_TOKEN_KEY] = scenario_store().start_session(user)
    g.pop("dsp_user", None)


def local_user(store: ScenarioStore) -> User:
    """The one administrator every request acts as in single-user mode (made on first use).

    Its password is random and never shown: nobody can sign in as it in accounts mode.
    """
    try:
        return store.user(LOCAL_USERNAME)
    except PlannerInputError:
        pass
    try:
        return store.create_user(LOCAL_USERNAME, secrets.token_urlsafe(32), Role.ADMIN, steering_group=True)
    except PlannerInputError:  # another worker made it a moment ago
        return store.user(LOCAL_USERNAME)


def describe_user(user: User | None) -> str:
    """Who is signed in, in words, for the scenario bar."""
    if user is None:
        return "Not signed in: you can see public scenarios only."
    if user.username == LOCAL_USERNAME and current_settings().auth_mode == "single-user":
        return "Single-user mode on this computer: no sign-in needed."
    group = ", steering group member" if user.steering_group else ""
    return f"Signed in as {user.username} ({user.role.label}{group})."


# ---------------------------------------------------------------------------------------
# Setting the app up
# ---------------------------------------------------------------------------------------
def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or a random key written once to the instance folder (readable by the owner only)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_folder) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write the key to a private temporary file, then link it into place: workers starting
        # together never read a half-written key, and the first one's key wins.
        draft = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_KEY_CHARS:
        raise PlannerInputError(f"{path} should hold a secret key of at least {MIN_SECRET_KEY_CHARS} characters; "
                                "delete it to have a new one made (everyone will have to sign in again)")
    return key


def init_app(server: Flask, settings: Settings) -> None:
    """Set up the session cookie, the sign-in routes and the checks run before every request."""
    if settings.auth_mode not in AUTH_MODES:
        raise PlannerInputError(f"AUTH_MODE must be one of {', '.join(AUTH_MODES)}, found {settings.auth_mode!r}")
    server.secret_key = secret_key(settings)
    server.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.secure_cookies)
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    server.before_request(_guard)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])


def _guard() -> Any:
    """Refuse cross-site posts, other computers in single-user mode and strangers in accounts mode."""
    if request.method not in SAFE_METHODS and not _same_site():
        return _refusal(403, "This request came from another web site and was refused.")
    if current_settings().auth_mode == "single-user":
        if not _from_this_computer(current_settings().port):
            return _refusal(403, "This planner runs in single-user mode and answers only the computer it runs on, "
                                 "at http://127.0.0.1 or http://localhost. Ask whoever runs it to set "
                                 "AUTH_MODE=accounts.")
        return None
    if request.path.startswith(OPEN_PREFIXES) or current_user() is not None:
        return None
    if request.path.startswith("/_dash-") or request.method not in SAFE_METHODS:
        return _refusal(401, "Please sign in again: your session has ended.")
    return flask.redirect(flask.url_for("login", next=request.full_path.rstrip("?")))


def _same_site() -> bool:
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _from_this_computer(port: int) -> bool:
    """A loopback client, asking for a loopback name and this app's port, through no proxy.

    The Host header is what defeats DNS rebinding: a page from another site that points its
    own name at 127.0.0.1 still sends its own name as the Host.
    """
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        asked = urlsplit(f"//{request.host}")
        asked_port = asked.port
    except ValueError:  # a port that is not a number
        return False
    return (_is_loopback(request.remote_addr) and asked.hostname in LOOPBACK_HOSTS
            and asked_port in (None, port))


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _refusal(status: int, message: str) -> flask.Response:
    return flask.Response(message, status=status, mimetype="text/plain")


# ---------------------------------------------------------------------------------------
# Sign in and sign out
# ---------------------------------------------------------------------------------------
def csrf_token() -> str:
    """This session's token for forms that post (made on first use)."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    expected = session.get(CSRF_KEY)
    return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another site's address (an open redirect).

    Browsers drop tabs and line breaks from an address and read a backslash as a slash, so
    "/\t/evil.example" would become "//evil.example": any of them, or any other control
    character or space, sends the visitor to the planner's home instead.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(character.isspace() or not character.isprintable() for character in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Day Services Planner</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"><link rel="stylesheet" href="/assets/10-app.css">
</head><body><header class="app-header"><div class="app-title"><h1 class="h3 mb-0">Day Services Planner</h1></div>
</header><main class="container my-4 auth-page" style="max-width: 32rem">
<h2 class="h4">{{ title }}</h2>
{% if message %}<div class="alert alert-danger" role="alert">{{ message }}</div>{% endif %}
{% if mode == "login" %}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{{ token }}"><input type="hidden" name="next" value="{{ next }}">
<div class="mb-3"><label class="form-label" for="username">Username</label>
<input class="form-control" id="username" name="username" autocomplete="username" required autofocus
 value="{{ username }}"></div>
<div class="mb-3"><label class="form-label" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password" autocomplete="current-password"
 required></div>
<button class="btn btn-primary" type="submit">Sign in</button>
</form>
<p class="mt-3 small">Accounts are made by whoever runs the planner. Public scenarios can be read without
signing in at their public link.</p>
{% else %}
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{ token }}">
<p>Sign out of the planner on this browser?</p>
<button class="btn btn-primary" type="submit">Sign out</button> <a class="btn btn-link" href="/">Back</a>
</form>
{% endif %}
</main></body></html>"""


def _page(mode: str, status: int = 200, *, message: str = "", username: str = "", next_path: str = "/") -> Any:
    title = "Sign in" if mode == "login" else "Sign out"
    body = render_template_string(PAGE, title=title, mode=mode, message=message, username=username,
                                  next=next_path, token=csrf_token())
    return flask.Response(body, status=status, mimetype="text/html")


def login() -> Any:
    """GET shows the form; POST checks the password (unless too many were wrong) and starts a fresh session."""
    if current_settings().auth_mode == "single-user":
        return flask.redirect("/")
    next_path = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return _page("login", next_path=next_path)
    if not _csrf_ok():
        return _page("login", 400, message="The form had expired. Please try again.", next_path=next_path)
    username = request.form.get("username", "")
    store = scenario_store()
    keys = _throttle_keys(username)
    wait = store.sign_in_wait(list(zip(keys, (ACCOUNT_FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT), strict=True)),
                              window=FAILURE_WINDOW)
    if wait is not None:
        audit("sign_in_refused", None, account_id=_account_id(username), reason="too_many_failures")
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        return _page("login", 429, message=f"Too many wrong passwords: signing in is paused. Try again in "
                                           f"{minutes} minute{'s' if minutes > 1 else ''}.",
                     username=username[:40], next_path=next_path)
    user = store.authenticate(username, request.form.get("password", ""))
    if user is None:
        store.record_sign_in_failure(keys, window=FAILURE_WINDOW)
        audit("sign_in_failed", None, account_id=_account_id(username))
        return _page("login", 401, message="That username and password do not match an enabled account.",
                     username=username[:40], next_path=next_path)
    store.clear_sign_in_failures(keys[0])
    begin_session(user)
    csrf_token()
    audit("sign_in", user)
    return flask.redirect(next_path)


def _throttle_keys(username: str) -> tuple[str, str]:
    """What wrong passwords are counted against: the account (as typed, lower-cased) and the address."""
    return f"account:{username.strip().lower()[:200]}", f"address:{request.remote_addr}"


def _account_id(username: str) -> int | None:
    """The number of the account called ``username``, for the audit log (None when there is none)."""
    try:
        return scenario_store().user(username).user_id
    except PlannerInputError:
        return None


def logout() -> Any:
    """GET asks to confirm; POST (with the form's token) ends the session here and in the store."""
    if request.method == "GET":
        return _page("logout")
    if not _csrf_ok():
        return _page("logout", 400, message="The form had expired. Please try again.")
    token = session.get(SESSION_TOKEN_KEY)
    user = current_user() if current_settings().auth_mode == "accounts" else None
    if isinstance(token, str):
        scenario_store().end_session(token)
    session.clear()
    if user is not None:
        audit("sign_out", user)
    return flask.redirect("/login")
