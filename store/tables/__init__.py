"""All tables, imported together so Alembic and `create_all` see the whole schema."""

from store.tables.audit import AuditEvent
from store.tables.lists import Hotlist, HotlistEntry, SafelistEntry
from store.tables.org import Agency, Camera, Site, SiteSharing
from store.tables.reads import Alert, AlertOutbox, AlertSighting, PlateReadRow

__all__ = [
    "Agency",
    "Alert",
    "AlertOutbox",
    "AlertSighting",
    "AuditEvent",
    "Camera",
    "Hotlist",
    "HotlistEntry",
    "PlateReadRow",
    "SafelistEntry",
    "Site",
    "SiteSharing",
]
