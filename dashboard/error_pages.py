"""Plain-English error pages (403, 404, 500) and one for a database that is down or not answering.

Every error a visitor can meet says what happened and what to do in words, never with a
trace, a server path or a database address (those go to the server's log). A database
that cannot be reached, or does not answer within its timeouts (geo/workspace/store.py
``engine_for``), gets 503 and a page saying the planner is waiting for it.
"""

from __future__ import annotations

import logging
import re

import flask
from jinja2 import Environment
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from dashboard.logging_setup import LOGGER_NAME

logger = logging.getLogger(f"{LOGGER_NAME}.errors")
# An absolute path in a message ("/srv/planner/instance/datasets/v0003"): only its last part is shown.
SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.@+-]+/)+([\w.@+-]+)")
WORDS = {
    400: ("That request could not be read", "Something in the address or the form was not as expected."),
    403: ("Not allowed", "You are not allowed to do that with the account you are signed in with."),
    404: ("There is nothing here", "There is no page, scenario or file at this address that you may open."),
    413: ("That was too large", "The planner does not accept requests that large here."),
    429: ("Too many requests", "Please wait a moment and try again."),
    500: ("Something went wrong in the planner", "The fault has been written to the server's log. "
          "Please try again; if it happens again, tell whoever runs the planner."),
    503: ("The planner's database is not answering", "Your work is safe: nothing is lost when the database "
          "is down. Please try again in a minute; if it goes on, tell whoever runs the planner."),
}
_PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Day Services Planner</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"><link rel="stylesheet" href="/assets/10-app.css">
</head><body><header class="app-header"><div class="app-title"><h1 class="h3 mb-0">Day Services Planner</h1></div>
</header><main class="container my-4" style="max-width: 40rem">
<h2 class="h4">{{ title }}</h2><p>{{ words }}</p>{% if detail %}<p>{{ detail }}</p>{% endif %}
<p><a href="/">Back to the planner</a></p></main></body></html>""")


def without_server_paths(message: str) -> str:
    """``message`` with every absolute path cut to its last part (the server's folders are nobody's business)."""
    return SERVER_PATH.sub(r"\1", message)


def error_page(status: int, detail: str = "") -> flask.Response:
    """The page for ``status``, with a plain-English ``detail`` when there is one."""
    title, words = WORDS.get(status, WORDS[500])
    detail = without_server_paths(detail) if detail and detail != words else ""
    body = _PAGE.render(title=title, words=words, detail=detail)
    response = flask.Response(body, status=status, mimetype="text/html")
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


def register(server: flask.Flask, *, debug: bool = False) -> None:
    """Answer errors on ``server`` with these pages (in debug mode faults keep Dash's own traceback)."""

    def http_error(error: HTTPException) -> flask.Response | Response:
        status = error.code or 500
        if status not in WORDS:
            return error.get_response()  # a redirect or another status Flask knows how to answer
        described = error.description if status in (400, 404, 413) and error.description else ""
        return error_page(status, described if not described.startswith(("The requested URL", "The browser"))
                          else "")

    def database_down(error: Exception) -> flask.Response:
        logger.warning("the scenario store did not answer: %s", type(error).__name__)
        return error_page(503)

    def fault(error: Exception) -> flask.Response:
        logger.error("unhandled fault", exc_info=error)
        return error_page(500)

    server.register_error_handler(HTTPException, http_error)
    for kind in (OperationalError, PoolTimeoutError):
        server.register_error_handler(kind, database_down)
    server.register_error_handler(DBAPIError, database_down)
    if not debug:
        server.register_error_handler(Exception, fault)
