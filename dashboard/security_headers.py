"""Security headers on every response: a Content-Security-Policy Dash still runs under, and no framing.

The policy lets the page run only the app's own scripts and Dash's few inline ones, named by
their hashes (``app.csp_hashes()``, worked out once every callback is registered); the
clientside callbacks are in ``assets/*.js``, so nothing else inline needs to run. Styles may
be inline (Plotly and Leaflet set them as they draw). Nothing may frame the planner
(frame-ancestors, X-Frame-Options), browsers must not guess content types (nosniff), and
other sites are not told which page a link was followed from (Referrer-Policy). Pages that
show someone's scenarios are never cached (Cache-Control: no-store); the fingerprinted
scripts and styles are.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import dash
import flask

from dashboard.config import Settings

STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
HSTS_SECONDS = 365 * 24 * 3600
FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def tile_source(tiles_url: str | None) -> list[str]:
    """Where TILES_URL's map tiles come from, as a policy source ("{s}" subdomains as a wildcard); none without."""
    if not tiles_url:
        return []
    parts = urlsplit(tiles_url.replace("{s}", "*"))
    return [f"{parts.scheme}://{parts.netloc}"]


def content_security_policy(script_hashes: Sequence[str], image_sources: Sequence[str] = ()) -> str:
    """The policy for the app's pages, allowing inline scripts only by the given hashes (and images from
    ``image_sources`` too: the context tiles' server, when TILES_URL names one)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],  # Dash gives them quoted: 'sha256-...'
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *image_sources],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def register(app: dash.Dash, settings: Settings) -> None:
    """Add the headers to every response ``app`` sends (a response's own stricter policy is kept)."""
    policy: list[str] = []  # worked out on the first response, after every callback is registered

    def add_headers(response: flask.Response) -> flask.Response:
        if not policy:
            policy.append(content_security_policy(app.csp_hashes(), tile_source(settings.tiles_url)))
        response.headers.setdefault("Content-Security-Policy", policy[0])
        for name, value in FIXED_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.secure_cookies:  # served over HTTPS: browsers should never try plain HTTP
            response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
        if not flask.request.path.startswith(STATIC_PREFIXES):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.server.after_request(add_headers)
