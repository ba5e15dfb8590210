"""The newest audit entry: a number that moves with every audited change.

Every change to schemes, people, training, periods and decisions writes an audit entry
(`audit.record`), appended under a lock on the chain head, so the entries' ids become
visible in order and the maximum is an O(1) read of the primary key. Changes to the day
sums (records, points, badge-ins) move the workshops' score stamps instead
(scores/aggregates.py); `standings.standing_version` combines the two.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry


def newest_audit(session: Session) -> int:
    """The id of the newest audit entry, 0 before the first."""
    return int(session.execute(_NEWEST).scalar_one())


_NEWEST = select(func.coalesce(func.max(AuditEntry.id), 0))
