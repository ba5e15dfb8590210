"""Typed models by domain, every name re-exported here (docs/ARCHITECTURE.md, "The data model").

base (Base, UTCDateTime, utcnow, Language) · people (workshops, workers, badges, users,
login throttles) · devices (kiosks, tokens, displays, unknown taps, refused seals,
settings) · events · production · metrics · points · schemes · training · audit · periods (settled
periods, snapshots, adjustments, refused events) · rewards (the points ledger, rewards, redemptions,
entitlements) · alerts (andon alerts, the outbox of their notifications) · reasons (the
fault and quality reasons HR keeps) · growth (talent pools, grades, certifications) ·
aggregates (the day sums scoring reads, the score stamps its cache is keyed by). Importing this
package registers every table on `Base.metadata`.
"""

from server.models.aggregates import (
    ScoreStamp,
    WorkerDayMetricSums,
    WorkerDaySums,
    WorkerPeriodMetricSums,
    WorkerPeriodSums,
)
from server.models.alerts import Alert, AlertKind, Notification, NotificationState
from server.models.audit import AuditEntry
from server.models.base import Base, Language, UTCDateTime, utcnow
from server.models.devices import (
    Display,
    EnrolmentCode,
    IntegrationToken,
    Kiosk,
    NameStyle,
    RefusedSeal,
    Setting,
    UnknownTap,
    integration_token_workshops,
    kiosk_workshops,
)
from server.models.events import Event
from server.models.growth import Certification, Grade, TalentPool
from server.models.metrics import Better, Combine, Metric, MetricValue
from server.models.people import (
    Badge,
    BadgeDigest,
    BadgeKind,
    LoginThrottle,
    Role,
    User,
    UserRole,
    Worker,
    Workshop,
    user_workshops,
)
from server.models.periods import (
    Adjustment,
    PeriodState,
    RefusedEvent,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
)
from server.models.points import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Notice,
    NoticeKind,
    PointCategory,
    PointEntry,
    PointLevel,
)
from server.models.production import Machine, ProductionRecord, RecordSource
from server.models.reasons import FaultReason
from server.models.rewards import (
    Entitlement,
    LedgerLine,
    LedgerSource,
    Redemption,
    RedemptionState,
    Reward,
)
from server.models.schemes import ScoringScheme, scheme_workshops
from server.models.training import TrainingProgress, TrainingVideo, video_workshops
from server.models.voice import VoicePack

__all__ = [
    "ScoreStamp",
    "WorkerDayMetricSums",
    "WorkerDaySums",
    "WorkerPeriodMetricSums",
    "WorkerPeriodSums",
    "Adjustment",
    "Alert",
    "AlertKind",
    "Appeal",
    "AppealStatus",
    "AuditEntry",
    "Badge",
    "Better",
    "BadgeDigest",
    "BadgeKind",
    "Base",
    "Certification",
    "Combine",
    "Display",
    "EnrolmentCode",
    "FaultReason",
    "Entitlement",
    "EntryStatus",
    "Event",
    "Grade",
    "IntegrationToken",
    "Kiosk",
    "Language",
    "NameStyle",
    "LedgerLine",
    "LedgerSource",
    "LoginThrottle",
    "Machine",
    "Metric",
    "MetricValue",
    "Notice",
    "NoticeKind",
    "Notification",
    "NotificationState",
    "PeriodState",
    "PointCategory",
    "PointEntry",
    "PointLevel",
    "ProductionRecord",
    "RecordSource",
    "Redemption",
    "RedemptionState",
    "RefusedEvent",
    "RefusedSeal",
    "Reward",
    "Role",
    "ScoringScheme",
    "Setting",
    "SettledPeriod",
    "Snapshot",
    "SnapshotCard",
    "TalentPool",
    "TrainingProgress",
    "TrainingVideo",
    "UTCDateTime",
    "UnknownTap",
    "User",
    "UserRole",
    "Worker",
    "Workshop",
    "integration_token_workshops",
    "kiosk_workshops",
    "scheme_workshops",
    "user_workshops",
    "utcnow",
    "video_workshops",
    "VoicePack",
]
