"""All tables, imported together so Alembic and `create_all` see the whole schema."""

from store.tables.accounts import (
    ApiToken,
    LoginAttempt,
    LoginSession,
    LoginThrottle,
    User,
    Webhook,
    WebhookDelivery,
)
from store.tables.audit import AuditEvent
from store.tables.checkpoints import AuditCheckpoint
from store.tables.lists import Hotlist, HotlistEntry, SafelistEntry
from store.tables.org import Agency, Camera, Site, SiteSharing
from store.tables.push import PushDelivery, PushSubscription
from store.tables.reads import Alert, AlertOutbox, AlertSighting, PlateReadRow
from store.tables.retention import (
    RetentionBatch,
    RetentionHold,
    RetentionPurgedRead,
    RetentionReceipt,
    RetentionRun,
)

__all__ = [
    "Agency",
    "Alert",
    "AlertOutbox",
    "AlertSighting",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "Camera",
    "Hotlist",
    "HotlistEntry",
    "LoginAttempt",
    "LoginSession",
    "LoginThrottle",
    "PlateReadRow",
    "PushDelivery",
    "PushSubscription",
    "RetentionBatch",
    "RetentionHold",
    "RetentionPurgedRead",
    "RetentionReceipt",
    "RetentionRun",
    "SafelistEntry",
    "Site",
    "SiteSharing",
    "User",
    "Webhook",
    "WebhookDelivery",
]
