"""GET /api/v1/docs: the OpenAPI document as a page to read, with Swagger UI.

Swagger UI is vendored under server/static/vendor/swagger-ui (its README says from where),
so the page works on a factory LAN without internet; its policy lets the browser load
nothing from any other host.
"""

from __future__ import annotations

from flask import Response, make_response, render_template

from server.api.spec import operation

# Scripts and styles from this server only; Swagger UI draws its icons from data: URIs
# and fetches the document (and "Try it out" calls) from here.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")


@operation("GET", "/docs", summary="This document as a page to read (Swagger UI)",
           description="The same document as GET /openapi.json, rendered in the browser "
                       "by a Swagger UI this server serves itself.",
           responses={200: ("An HTML page", None)}, content_type="text/html")
def docs() -> Response:
    response = make_response(render_template("api/docs.html"))
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-cache"
    return response
