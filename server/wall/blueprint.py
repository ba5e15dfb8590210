"""The /wall blueprint object, with the wall's own templates and static files.

`server/wall/views.py` registers the routes on it; `server/wall/__init__.py` only gathers.
"""

from __future__ import annotations

from flask import Blueprint

wall = Blueprint("wall", __name__, url_prefix="/wall", template_folder="templates",
                 static_folder="static", static_url_path="/static")
