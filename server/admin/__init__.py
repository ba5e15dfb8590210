"""Blueprint /admin: HR's pages in the browser.

This package only gathers: the blueprint object, its access rules and page-wide hooks live
in `blueprint`, and importing the view modules below registers their routes on it.

    blueprint   the `admin` object, `allow` / `public` / `scope`, hooks, error pages
    setup       wiring into the app: logins, CSRF, the UI language, cookies
    common      what the views share: form fields, messages, `saving`

    auth        log in and out, language, own password
    dashboard   completeness, trends, comparison, heat map
    workers     list, edit, photo, import, a worker's page
    badges      cards, QR badges, badge sheets, revoke
    kiosks      enrol, list, revoke
    displays    wall display links for workshop TVs, revoke
    schemes     editor with preview, versions; point categories
    metrics     HR's own measures for scheme dimensions
    queues      claims and appeals
    rewards     the reward catalogue, the fulfilment queue, a worker's points account
    alerts      open issues (andon): acknowledge, resolve, response times, downtime Pareto
    production  import, list, correct, completeness
    periods     settled periods: check, close, reopen; refused kiosk events, booked
    reports     weekly and monthly reports, payroll export
    videos      training videos: upload, assign, retire, quiz
    voice_packs recorded voice packs per language: upload (checked), remove
    growth      a worker's growth record, talent pools, grades and certification
    people      users and the audit log
    pictograms  the pictogram picker (categories, rewards, reasons); fault and quality reasons
    privacy     retention settings and a purge now; a worker's data exported or erased
"""

from server.admin import (
    alerts,
    auth,
    badges,
    dashboard,
    displays,
    growth,
    kiosks,
    metrics,
    people,
    periods,
    pictograms,
    privacy,
    production,
    queues,
    reports,
    rewards,
    schemes,
    videos,
    voice_packs,
    workers,
)
from server.admin.blueprint import (
    ADMIN,
    MANAGE,
    PUBLIC,
    READ,
    READ_PLANT,
    RULES,
    admin,
    allow,
    public,
    scope,
)

__all__ = [
    "ADMIN", "MANAGE", "PUBLIC", "READ", "READ_PLANT", "RULES", "admin", "allow", "public",
    "scope",
    # the view modules, imported so that their routes register on `admin`
    "alerts", "auth", "badges", "dashboard", "displays", "growth", "kiosks", "metrics",
    "people", "periods", "pictograms", "privacy", "production", "queues", "reports", "rewards",
    "schemes", "videos", "voice_packs", "workers",
]
