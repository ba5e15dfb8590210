"""Blueprint /api/v1: the contract with kiosks and MES/ERP (DESIGN.md §5)."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Routes register on import of the package.
from server.api import auth, feeds, health, kiosk, videos  # noqa: E402,F401
