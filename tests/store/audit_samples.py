"""One detail per audit action, beside the dict its writer stored before the models existed
(copied from the writers at 46d22c8), so the tests can hold the models to the old bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from store.audit_community import (
    CommunityCameraAddDetail,
    CommunityCameraEditDetail,
    CommunityCameraPauseDetail,
    CommunityCameraRemoveDetail,
    CommunityCameraResumeDetail,
    FootageRequestApproveDetail,
    FootageRequestDeclineDetail,
    FootageRequestDraftDetail,
    FootageRequestExpireDetail,
    FootageRequestExportDetail,
    FootageRequestResidentDeclineDetail,
    FootageShareCreateDetail,
    FootageShareWithdrawDetail,
    InviteCreateDetail,
    InviteRevokeDetail,
    LprGrantApproveDetail,
    LprGrantAskDetail,
    LprGrantDeclineDetail,
    LprGrantExpireDetail,
    LprGrantRevokeDetail,
    LprGrantUseDetail,
    NeighborhoodAlertPostDetail,
    ResidentJoinDetail,
    ResidentOptOutDetail,
    ShareFileDownloadDetail,
    ShareFilePurgeDetail,
    ShareFileViewDetail,
)
from store.audit_details import (
    AlertAcknowledgeDetail,
    AlertConfirmDetail,
    AlertDismissDetail,
    AlertRejectDetail,
    AnyAuditDetail,
    AuditReadsAcceptedDetail,
    AuthLoginDetail,
    AuthLogoutDetail,
    MediaLinkOpenDetail,
    OpsAlertAcknowledgeDetail,
    PushSubscribeDetail,
    PushUnsubscribeDetail,
    ReadsSearchDetail,
    RetentionHoldPlaceDetail,
    RetentionHoldReleaseDetail,
    RetentionPurgeDetail,
    SafelistAddDetail,
    SafelistExportDetail,
    SafelistImportDetail,
    SafelistRemoveDetail,
    SafelistUpdateDetail,
    SiteShareDetail,
    SiteUnshareDetail,
    TokenIssueDetail,
    TokenRevokeDetail,
    UserCreateDetail,
    UserDisableDetail,
    UserPasswordDetail,
    UserPasswordResetDetail,
    WebhookCreateDetail,
    WebhookDisableDetail,
    WebhookEnableDetail,
)
from store.audit_lists import (
    HotlistCreateDetail,
    HotlistEntryAddDetail,
    HotlistEntryRemoveDetail,
    HotlistExpireDetail,
    HotlistExportDetail,
    HotlistImportDetail,
    HotlistUpdateDetail,
)
from store.audit_org import (
    AgencyCreateDetail,
    AgencyRetireDetail,
    AgencyUpdateDetail,
    CameraCreateDetail,
    CameraRetireDetail,
    CameraUpdateDetail,
    FieldChange,
    SiteCreateDetail,
    SiteRetireDetail,
    SiteUpdateDetail,
)

START = datetime(2025, 3, 1, tzinfo=UTC)
END = datetime(2025, 3, 8, 12, 30, 5, 123456, tzinfo=UTC)
# A hold end given with an offset keeps it, as `until.isoformat()` did.
UNTIL = datetime(2025, 9, 1, 18, 30, tzinfo=timezone(timedelta(hours=2)))


_Disposition = AlertAcknowledgeDetail | AlertConfirmDetail | AlertRejectDetail | AlertDismissDetail


def _disposition(cls: type[_Disposition], to: str, reason: str | None) -> AnyAuditDetail:
    return cls(from_status="new", to_status=to, reason=reason, list_name="stolen", decision="alert")


def _legacy_disposition(to: str, reason: str | None) -> dict[str, Any]:
    return {"from": "new", "to": to, "reason": reason, "list": "stolen", "decision": "alert"}


SAMPLES: dict[str, tuple[AnyAuditDetail, dict[str, Any]]] = {
    "auth.login": (
        AuthLoginDetail(session_id=7, client="Mozilla/5.0"),
        {"session_id": 7, "client": "Mozilla/5.0"},
    ),
    "auth.logout": (AuthLogoutDetail(session_id=7), {"session_id": 7}),
    "user.create": (
        UserCreateDetail(role="officer", agency_id=2, site_id=None),
        {"role": "officer", "agency_id": 2, "site_id": None},
    ),
    "user.disable": (
        UserDisableDetail(sessions_ended=(3, 4), tokens_revoked=()),
        {"sessions_ended": [3, 4], "tokens_revoked": []},
    ),
    "user.password": (
        UserPasswordDetail(sessions_ended=(5,), kept_session_id=9),
        {"sessions_ended": [5], "kept_session_id": 9},
    ),
    "user.password_reset": (
        UserPasswordResetDetail(sessions_ended=()),
        {"sessions_ended": []},
    ),
    "token.issue": (
        TokenIssueDetail(token_id=1, name="reader", prefix="pwt_abcdef"),
        {"token_id": 1, "name": "reader", "prefix": "pwt_abcdef"},
    ),
    "token.revoke": (
        TokenRevokeDetail(user=None, name="reader", prefix="pwt_abcdef", already_revoked=True),
        {"user": None, "name": "reader", "prefix": "pwt_abcdef", "already_revoked": True},
    ),
    "safelist.add": (SafelistAddDetail(site="oak", entries=1), {"site": "oak", "entries": 1}),
    "safelist.update": (SafelistUpdateDetail(site="oak", entries=1), {"site": "oak", "entries": 1}),
    "safelist.remove": (SafelistRemoveDetail(site="oak", entries=2), {"site": "oak", "entries": 2}),
    "safelist.import": (
        SafelistImportDetail(site="oak", added=3, replace=False, updated=1, removed=0),
        {"site": "oak", "added": 3, "replace": False, "updated": 1, "removed": 0},
    ),
    "safelist.export": (SafelistExportDetail(entries=12), {"entries": 12}),
    "site.share": (
        SiteShareDetail(site="oak", agency="metro", enabled=True),
        {"site": "oak", "agency": "metro", "enabled": True},
    ),
    "site.unshare": (
        SiteUnshareDetail(site="oak", agency="metro", enabled=False),
        {"site": "oak", "agency": "metro", "enabled": False},
    ),
    "alert.acknowledge": (
        _disposition(AlertAcknowledgeDetail, "acknowledged", None),
        _legacy_disposition("acknowledged", None),
    ),
    "alert.confirm": (
        _disposition(AlertConfirmDetail, "confirmed", None),
        _legacy_disposition("confirmed", None),
    ),
    "alert.reject": (
        _disposition(AlertRejectDetail, "rejected", "wrong_state"),
        _legacy_disposition("rejected", "wrong_state"),
    ),
    "alert.dismiss": (
        _disposition(AlertDismissDetail, "dismissed", None),
        _legacy_disposition("dismissed", None),
    ),
    "reads.search": (
        ReadsSearchDetail(
            plate="AB*12",
            start=START,
            end=END,
            camera_ids=("oak-cam0",),
            site_ids=(1, 4),
            agency_id=2,
            results=3,
            truncated=False,
            via="token",
        ),
        {
            "plate": "AB*12",
            "start": START.isoformat(),
            "end": END.isoformat(),
            "camera_ids": ["oak-cam0"],
            "site_ids": [1, 4],
            "agency_id": 2,
            "results": 3,
            "truncated": False,
            "via": "token",
        },
    ),
    "webhook.create": (
        WebhookCreateDetail(agency_id=2, url="https://cad.example/hook"),
        {"agency_id": 2, "url": "https://cad.example/hook"},
    ),
    "webhook.enable": (WebhookEnableDetail(), {}),
    "ops_alert.acknowledge": (
        OpsAlertAcknowledgeDetail(camera_id="gate-north", state="offline"),
        {"camera_id": "gate-north", "state": "offline"},
    ),
    "webhook.disable": (WebhookDisableDetail(), {}),
    "audit.reads_accepted": (
        AuditReadsAcceptedDetail(groups=("day:2025-03-01", "site:3")),
        {"groups": ["day:2025-03-01", "site:3"]},
    ),
    "media.link_open": (
        MediaLinkOpenDetail(kind="crop", status=200),
        {"kind": "crop", "status": 200},
    ),
    "push.subscribe": (
        PushSubscribeDetail(subscription_id=3, push_service="fcm.googleapis.com"),
        {"subscription_id": 3, "push_service": "fcm.googleapis.com"},
    ),
    "push.unsubscribe": (
        PushUnsubscribeDetail(subscription_id=3, push_service="fcm.googleapis.com"),
        {"subscription_id": 3, "push_service": "fcm.googleapis.com"},
    ),
    "retention.purge": (
        RetentionPurgeDetail(receipt_hash="ab" * 32, reads=10, files=20),
        {"receipt_hash": "ab" * 32, "reads": 10, "files": 20},
    ),
    "retention.hold.place": (
        RetentionHoldPlaceDetail(hold_id=5, until=UNTIL),
        {"hold_id": 5, "until": UNTIL.isoformat()},
    ),
    "retention.hold.release": (
        RetentionHoldReleaseDetail(hold_id=5, was_until=UNTIL),
        {"hold_id": 5, "was_until": UNTIL.isoformat()},
    ),
    "resident.join": (
        ResidentJoinDetail(invite_id=4, site_id=2, neighborhood="", kind="home"),
        {"invite_id": 4, "site_id": 2, "neighborhood": "", "kind": "home"},
    ),
    "resident.opt_out": (
        ResidentOptOutDetail(already_opted_out=False),
        {"already_opted_out": False},
    ),
    "community_camera.add": (
        CommunityCameraAddDetail(kind="doorbell", cell="c1:2", listed=False),
        {"kind": "doorbell", "cell": "c1:2", "listed": False},
    ),
    "community_camera.edit": (
        CommunityCameraEditDetail(kind="driveway", cell="c1:2", listed=True),
        {"kind": "driveway", "cell": "c1:2", "listed": True},
    ),
    "community_camera.pause": (CommunityCameraPauseDetail(was_paused=False), {"was_paused": False}),
    "community_camera.resume": (CommunityCameraResumeDetail(was_paused=True), {"was_paused": True}),
    "community_camera.remove": (CommunityCameraRemoveDetail(cell="c1:2"), {"cell": "c1:2"}),
    "invite.create": (
        InviteCreateDetail(site_id=None, neighborhood="Elm Park", days=14, max_uses=25),
        {"site_id": None, "neighborhood": "Elm Park", "days": 14, "max_uses": 25},
    ),
    "invite.revoke": (
        InviteRevokeDetail(site_id=3, already_revoked=False),
        {"site_id": 3, "already_revoked": False},
    ),
    "footage_request.draft": (
        FootageRequestDraftDetail(agency_id=1, radius_m=400),
        {"agency_id": 1, "radius_m": 400},
    ),
    "footage_request.approve": (FootageRequestApproveDetail(asked=3), {"asked": 3}),
    "footage_request.decline": (FootageRequestDeclineDetail(), {}),
    "footage_request.expire": (FootageRequestExpireDetail(), {}),
    "footage_request.resident_decline": (FootageRequestResidentDeclineDetail(), {}),
    "footage_share.create": (
        FootageShareCreateDetail(request_id=2, files=1),
        {"request_id": 2, "files": 1},
    ),
    "footage_share.withdraw": (FootageShareWithdrawDetail(), {}),
    "share_file.view": (
        ShareFileViewDetail(request_id=2, sha256="cd" * 32),
        {"request_id": 2, "sha256": "cd" * 32},
    ),
    "share_file.download": (
        ShareFileDownloadDetail(request_id=2, sha256="cd" * 32),
        {"request_id": 2, "sha256": "cd" * 32},
    ),
    "share_file.purge": (ShareFilePurgeDetail(files=4), {"files": 4}),
    "neighborhood_alert.post": (
        NeighborhoodAlertPostDetail(agency_id=1, radius_m=800, notified=12),
        {"agency_id": 1, "radius_m": 800, "notified": 12},
    ),
    "lpr_grant.ask": (
        LprGrantAskDetail(
            request_id=2, site_id=3, agency_id=1, camera_ids=("elm-cam0",), plates=("7ABC123",)
        ),
        {
            "request_id": 2,
            "site_id": 3,
            "agency_id": 1,
            "camera_ids": ["elm-cam0"],
            "plates": ["7ABC123"],
        },
    ),
    "lpr_grant.approve": (
        LprGrantApproveDetail(site_id=3, agency_id=1, expires_at=END),
        {"site_id": 3, "agency_id": 1, "expires_at": END.isoformat()},
    ),
    "lpr_grant.decline": (
        LprGrantDeclineDetail(site_id=3, agency_id=1),
        {"site_id": 3, "agency_id": 1},
    ),
    "lpr_grant.revoke": (
        LprGrantRevokeDetail(site_id=3, agency_id=1),
        {"site_id": 3, "agency_id": 1},
    ),
    "lpr_grant.expire": (LprGrantExpireDetail(was="approved"), {"was": "approved"}),
    "lpr_grant.use": (
        LprGrantUseDetail(grant_id=4, site_id=3, search_audit_id=90, results=2),
        {"grant_id": 4, "site_id": 3, "search_audit_id": 90, "results": 2},
    ),
    "agency.create": (
        AgencyCreateDetail(token_id=None, name="Metro PD", jurisdiction="Metro", state="CA"),
        {"token_id": None, "name": "Metro PD", "jurisdiction": "Metro", "state": "CA"},
    ),
    "agency.update": (
        AgencyUpdateDetail(
            token_id=4,
            name="Metro Police",
            changes=(FieldChange(field="name", before="Metro PD", after="Metro Police"),),
        ),
        {
            "token_id": 4,
            "name": "Metro Police",
            "changes": [{"field": "name", "before": "Metro PD", "after": "Metro Police"}],
        },
    ),
    "agency.retire": (
        AgencyRetireDetail(token_id=None, name="Metro PD", shares_ended=("Elm", "Oak")),
        {"token_id": None, "name": "Metro PD", "shares_ended": ["Elm", "Oak"]},
    ),
    "site.create": (
        SiteCreateDetail(
            token_id=None,
            name="Oak",
            kind="hoa",
            image_retention_days=14,
            resident_retention_hours=None,
        ),
        {
            "token_id": None,
            "name": "Oak",
            "kind": "hoa",
            "image_retention_days": 14,
            "resident_retention_hours": None,
        },
    ),
    "site.update": (
        SiteUpdateDetail(
            token_id=None,
            name="Oak",
            changes=(FieldChange(field="image_retention_days", before="14", after=None),),
        ),
        {
            "token_id": None,
            "name": "Oak",
            "changes": [{"field": "image_retention_days", "before": "14", "after": None}],
        },
    ),
    "site.retire": (
        SiteRetireDetail(
            token_id=2, name="Oak", cameras_retired=("oak-1", "oak-2"), shares_ended=("Metro PD",)
        ),
        {
            "token_id": 2,
            "name": "Oak",
            "cameras_retired": ["oak-1", "oak-2"],
            "shares_ended": ["Metro PD"],
        },
    ),
    "camera.create": (
        CameraCreateDetail(
            token_id=None,
            site="Oak",
            name="Oak gate",
            location="Oak Dr",
            latitude=37.77,
            longitude=-122.42,
            direction="NB",
            region="CA",
        ),
        {
            "token_id": None,
            "site": "Oak",
            "name": "Oak gate",
            "location": "Oak Dr",
            "latitude": 37.77,
            "longitude": -122.42,
            "direction": "NB",
            "region": "CA",
        },
    ),
    "camera.update": (
        CameraUpdateDetail(
            token_id=None,
            site="Oak",
            changes=(FieldChange(field="latitude", before=None, after="37.77"),),
        ),
        {
            "token_id": None,
            "site": "Oak",
            "changes": [{"field": "latitude", "before": None, "after": "37.77"}],
        },
    ),
    "camera.retire": (
        CameraRetireDetail(token_id=None, site="Oak"),
        {"token_id": None, "site": "Oak"},
    ),
    "hotlist.create": (
        HotlistCreateDetail(
            list_name="NCIC",
            via="session",
            token_id=None,
            source="ncic",
            priority=1,
            owner_agency_id=None,
            owner_site_id=None,
        ),
        {
            "list_name": "NCIC",
            "via": "session",
            "token_id": None,
            "source": "ncic",
            "priority": 1,
            "owner_agency_id": None,
            "owner_site_id": None,
        },
    ),
    "hotlist.update": (
        HotlistUpdateDetail(
            list_name="NCIC", via="token", token_id=4, changed=("description", "priority")
        ),
        {
            "list_name": "NCIC",
            "via": "token",
            "token_id": 4,
            "changed": ["description", "priority"],
        },
    ),
    "hotlist.import": (
        HotlistImportDetail(
            list_name="NCIC",
            via="cli",
            token_id=None,
            replace=True,
            rows=10,
            imported=8,
            skipped_invalid=1,
            unchanged=1,
            removed=3,
        ),
        {
            "list_name": "NCIC",
            "via": "cli",
            "token_id": None,
            "replace": True,
            "rows": 10,
            "imported": 8,
            "skipped_invalid": 1,
            "unchanged": 1,
            "removed": 3,
        },
    ),
    "hotlist.expire": (
        HotlistExpireDetail(list_name="NCIC", via="session", token_id=None, entries=12),
        {"list_name": "NCIC", "via": "session", "token_id": None, "entries": 12},
    ),
    "hotlist.export": (
        HotlistExportDetail(list_name="NCIC", via="token", token_id=4, entries=12),
        {"list_name": "NCIC", "via": "token", "token_id": 4, "entries": 12},
    ),
    "hotlist.entry_add": (
        HotlistEntryAddDetail(list_name="NCIC", via="cli", token_id=None, entries=1),
        {"list_name": "NCIC", "via": "cli", "token_id": None, "entries": 1},
    ),
    "hotlist.entry_remove": (
        HotlistEntryRemoveDetail(list_name="NCIC", via="cli", token_id=None, entries=2),
        {"list_name": "NCIC", "via": "cli", "token_id": None, "entries": 2},
    ),
    "footage_request.export": (
        FootageRequestExportDetail(request_id=2, files=3, archive_sha256="ef" * 32),
        {"request_id": 2, "files": 3, "archive_sha256": "ef" * 32},
    ),
}
