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
from store.tables.community import CommunityCamera, InviteCode, ResidentProfile
from store.tables.grants import LprAccessGrant
from store.tables.health import CameraHealth, OpsAlert
from store.tables.imports import ImportJob
from store.tables.lists import Hotlist, HotlistEntry, SafelistEntry
from store.tables.org import Agency, Camera, Site, SiteSharing
from store.tables.push import PushDelivery, PushSubscription
from store.tables.reads import Alert, AlertOutbox, AlertSighting, PlateReadRow
from store.tables.requests import (
    FootageRequest,
    FootageShare,
    NeighborhoodAlert,
    RequestRecipient,
    ShareFile,
    ShareFilePurge,
)
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
    "CameraHealth",
    "CommunityCamera",
    "FootageRequest",
    "FootageShare",
    "Hotlist",
    "HotlistEntry",
    "ImportJob",
    "InviteCode",
    "LoginAttempt",
    "LoginSession",
    "LoginThrottle",
    "LprAccessGrant",
    "NeighborhoodAlert",
    "OpsAlert",
    "PlateReadRow",
    "PushDelivery",
    "PushSubscription",
    "RequestRecipient",
    "ResidentProfile",
    "RetentionBatch",
    "RetentionHold",
    "RetentionPurgedRead",
    "RetentionReceipt",
    "RetentionRun",
    "SafelistEntry",
    "ShareFile",
    "ShareFilePurge",
    "Site",
    "SiteSharing",
    "User",
    "Webhook",
    "WebhookDelivery",
]
