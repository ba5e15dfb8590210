"""Blueprint /api/v1 for kiosks and MES/ERP (docs/ARCHITECTURE.md, "The kiosk–server contract").

This package only gathers: the blueprint object lives in `blueprint`, and importing the
route modules below registers their routes on it.

    blueprint   the `api` object and its ServiceError handler
    auth        bearer tokens: which kiosk or integration is calling
    spec        `operation`: register a route and describe it in the OpenAPI document
    schemas     the request and response bodies
    health      GET /health
    kiosk       enrol, roster, scorecards, leaderboards, claims, photos
    feeds       events from kiosks, production from MES, the OpenAPI document
    docs        the document as a page to read (vendored Swagger UI)
    videos      training videos, their files and quiz pictures
    rewards     a worker's points account, the reward catalogue, hand-overs waiting
    alerts      the open alerts (andon) of the kiosk's workshops
    voice_packs the recorded voice packs of the kiosk's languages, and their zips
    growth      a worker's growth record ("my growth")
"""

from server.api import (
    alerts,
    auth,
    docs,
    feeds,
    growth,
    health,
    kiosk,
    rewards,
    videos,
    voice_packs,
)
from server.api.blueprint import api

__all__ = ["alerts", "api", "auth", "docs", "feeds", "growth", "health", "kiosk", "rewards",
           "videos", "voice_packs"]
