"""Alerts (andon): machine faults and quality issues someone must acknowledge and resolve,
and the notifications they send.

    lifecycle   open (from a kiosk's trouble event), acknowledge, resolve, a machine's start
    reads       open alerts, `alert_dict`, the downtime Pareto, response times, fault minutes
    messages    what notifications say (zh_CN)
    outbox      the notifications' outbox: queued once, claimed by one process, retried
    notify      apprise: sending to a target, naming targets without their keys
    schedule    escalations and daily summaries, and one round of the sender

This package only gathers the names the admin, the wall, the API and the CLI call.
"""

from server.services.alerts.lifecycle import acknowledge, open_alert, resolve
from server.services.alerts.reads import (
    alert_dict,
    downtime_pareto,
    fault_minutes,
    kiosk_alerts,
    list_alerts,
    open_alerts,
    response_times,
    unacknowledged_first,
)

__all__ = ["acknowledge", "alert_dict", "downtime_pareto", "fault_minutes", "kiosk_alerts",
           "list_alerts", "open_alert", "open_alerts", "resolve", "response_times",
           "unacknowledged_first"]
