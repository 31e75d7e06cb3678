"""What each audit action records in its `detail`: one model per action, parsed once on read.

A model names its action (`action`), so `record_audit` takes only the model and an action can
never be written with another action's detail. The models live here, at the bottom, because the
audit log is read by every layer above.

The stored JSON is the model's `as_json()`, and the chain hashes that dict, so a model must dump
exactly what was written before it existed: every field is always written (no exclude_none),
times are written as `datetime.isoformat()` and lists as JSON arrays. Reading is strict (no
coercion, stored keys only, times only in the form written), so a detail that parses dumps back
to the very dict the chain hashed: an auditor is never shown a tidied-up version of a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar, get_args

from pydantic import (
    Field,
    ValidationError,
)

from store.audit_base import AuditDetail, Ids, IsoTime, Names
from store.audit_community import CommunityAuditDetail
from store.audit_lists import HotlistAuditDetail
from store.audit_org import OrgAuditDetail


class AuthLoginDetail(AuditDetail):
    action = "auth.login"
    session_id: int
    client: str = Field(max_length=64)


class AuthLogoutDetail(AuditDetail):
    action = "auth.logout"
    session_id: int


class UserCreateDetail(AuditDetail):
    action = "user.create"
    role: str
    agency_id: int | None
    site_id: int | None


class UserDisableDetail(AuditDetail):
    action = "user.disable"
    sessions_ended: Ids
    tokens_revoked: Ids


class UserPasswordDetail(AuditDetail):
    action = "user.password"
    sessions_ended: Ids
    kept_session_id: int | None


class UserPasswordResetDetail(AuditDetail):
    action = "user.password_reset"
    sessions_ended: Ids


class TokenIssueDetail(AuditDetail):
    action = "token.issue"
    token_id: int
    name: str
    prefix: str


class TokenRevokeDetail(AuditDetail):
    action = "token.revoke"
    user: str | None
    name: str
    prefix: str
    already_revoked: bool


class _SafelistEntries(AuditDetail):
    site: str
    entries: int


class SafelistAddDetail(_SafelistEntries):
    action = "safelist.add"


class SafelistUpdateDetail(_SafelistEntries):
    action = "safelist.update"


class SafelistRemoveDetail(_SafelistEntries):
    action = "safelist.remove"


class SafelistImportDetail(AuditDetail):
    action = "safelist.import"
    site: str
    added: int
    replace: bool
    updated: int
    removed: int


class SafelistExportDetail(AuditDetail):
    action = "safelist.export"
    entries: int


class _SiteSharing(AuditDetail):
    site: str
    agency: str
    enabled: bool


class SiteShareDetail(_SiteSharing):
    action = "site.share"


class SiteUnshareDetail(_SiteSharing):
    action = "site.unshare"


class _AlertDisposition(AuditDetail):
    # "from" is a Python keyword; the stored key stays "from".
    from_status: str = Field(alias="from")
    to_status: str = Field(alias="to")
    reason: str | None
    list_name: str = Field(alias="list")
    decision: str


class AlertAcknowledgeDetail(_AlertDisposition):
    action = "alert.acknowledge"


class AlertConfirmDetail(_AlertDisposition):
    action = "alert.confirm"


class AlertRejectDetail(_AlertDisposition):
    action = "alert.reject"


class AlertDismissDetail(_AlertDisposition):
    action = "alert.dismiss"


class ReadsSearchDetail(AuditDetail):
    action = "reads.search"
    plate: str
    start: IsoTime
    end: IsoTime
    camera_ids: Names
    site_ids: Ids
    agency_id: int
    results: int
    truncated: bool
    via: str


class WebhookCreateDetail(AuditDetail):
    action = "webhook.create"
    agency_id: int
    url: str


class WebhookEnableDetail(AuditDetail):
    action = "webhook.enable"


class WebhookDisableDetail(AuditDetail):
    action = "webhook.disable"


class AuditReadsAcceptedDetail(AuditDetail):
    """An operator vouched for changed reads digests (`platewatch audit checkpoint --accept`)."""

    action = "audit.reads_accepted"
    groups: Names


class MediaLinkOpenDetail(AuditDetail):
    """A webhook's signed image link was opened (`actor` is `webhook:<id>`)."""

    action = "media.link_open"
    kind: str
    status: int


class PushSubscribeDetail(AuditDetail):
    action = "push.subscribe"
    subscription_id: int
    push_service: str


class PushUnsubscribeDetail(AuditDetail):
    action = "push.unsubscribe"
    subscription_id: int
    push_service: str


class RetentionPurgeDetail(AuditDetail):
    action = "retention.purge"
    receipt_hash: str
    reads: int
    files: int


class RetentionHoldPlaceDetail(AuditDetail):
    action = "retention.hold.place"
    hold_id: int
    until: IsoTime


class RetentionHoldReleaseDetail(AuditDetail):
    action = "retention.hold.release"
    hold_id: int
    was_until: IsoTime


class OpsAlertAcknowledgeDetail(AuditDetail):
    action = "ops_alert.acknowledge"
    camera_id: str
    state: str


AnyAuditDetail = (
    AuthLoginDetail
    | AuthLogoutDetail
    | UserCreateDetail
    | UserDisableDetail
    | UserPasswordDetail
    | UserPasswordResetDetail
    | TokenIssueDetail
    | TokenRevokeDetail
    | SafelistAddDetail
    | SafelistUpdateDetail
    | SafelistRemoveDetail
    | SafelistImportDetail
    | SafelistExportDetail
    | SiteShareDetail
    | SiteUnshareDetail
    | AlertAcknowledgeDetail
    | AlertConfirmDetail
    | AlertRejectDetail
    | AlertDismissDetail
    | ReadsSearchDetail
    | WebhookCreateDetail
    | WebhookEnableDetail
    | WebhookDisableDetail
    | AuditReadsAcceptedDetail
    | MediaLinkOpenDetail
    | PushSubscribeDetail
    | PushUnsubscribeDetail
    | RetentionPurgeDetail
    | RetentionHoldPlaceDetail
    | RetentionHoldReleaseDetail
    | OpsAlertAcknowledgeDetail
    | CommunityAuditDetail
    | OrgAuditDetail
    | HotlistAuditDetail
)

AUDIT_DETAILS: Mapping[str, type[AnyAuditDetail]] = MappingProxyType(
    {model.action: model for model in get_args(AnyAuditDetail)}
)


@dataclass(frozen=True)
class UnreadableDetail:
    """A stored detail that no model reads: an unknown action, or content its model rejects."""

    action: str
    problem: str


def _summary(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'detail'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )


_Model = TypeVar("_Model", bound=AuditDetail)


def parse_as(model: type[_Model], raw: object) -> _Model | UnreadableDetail:
    """`raw` read as `model`'s detail, for a reader that selected rows by `model.action`."""
    try:
        # By alias only: a stored "from_status" key is not what the writer wrote.
        return model.model_validate(raw, by_alias=True, by_name=False)
    except ValidationError as exc:
        why = f"{model.action} detail does not match its model: {_summary(exc)}"
        return UnreadableDetail(model.action, why)


def parse_detail(action: str, raw: object) -> AnyAuditDetail | UnreadableDetail:
    """The typed detail of a stored row; never raises on bad content, so one odd row cannot
    take down a page or a verification run."""
    model = AUDIT_DETAILS.get(action)
    if model is None:
        return UnreadableDetail(action, f"no detail model for action {action!r}")
    return parse_as(model, raw)
