"""Audit details of the community cameras: residents, invites, registered cameras, footage
requests and shares. Locations appear only as coarse cells, never as exact places."""

from __future__ import annotations

from store.audit_base import AuditDetail, IsoTime, Names


class ResidentJoinDetail(AuditDetail):
    action = "resident.join"
    invite_id: int
    site_id: int | None
    neighborhood: str
    kind: str


class ResidentOptOutDetail(AuditDetail):
    action = "resident.opt_out"
    already_opted_out: bool


class _CameraState(AuditDetail):
    kind: str
    cell: str
    listed: bool


class CommunityCameraAddDetail(_CameraState):
    action = "community_camera.add"


class CommunityCameraEditDetail(_CameraState):
    action = "community_camera.edit"


class CommunityCameraPauseDetail(AuditDetail):
    action = "community_camera.pause"
    was_paused: bool


class CommunityCameraResumeDetail(AuditDetail):
    action = "community_camera.resume"
    was_paused: bool


class CommunityCameraRemoveDetail(AuditDetail):
    action = "community_camera.remove"
    cell: str


class InviteCreateDetail(AuditDetail):
    action = "invite.create"
    site_id: int | None
    neighborhood: str
    days: int
    max_uses: int


class InviteRevokeDetail(AuditDetail):
    action = "invite.revoke"
    site_id: int | None
    already_revoked: bool


class FootageRequestDraftDetail(AuditDetail):
    action = "footage_request.draft"
    agency_id: int
    radius_m: int


class FootageRequestApproveDetail(AuditDetail):
    """`asked`: how many residents were asked; only auditors read the audit log."""

    action = "footage_request.approve"
    asked: int


class FootageRequestDeclineDetail(AuditDetail):
    action = "footage_request.decline"


class FootageRequestExpireDetail(AuditDetail):
    action = "footage_request.expire"


class FootageRequestResidentDeclineDetail(AuditDetail):
    action = "footage_request.resident_decline"


class FootageShareCreateDetail(AuditDetail):
    action = "footage_share.create"
    request_id: int
    files: int


class FootageShareWithdrawDetail(AuditDetail):
    action = "footage_share.withdraw"


class _ShareFileOpen(AuditDetail):
    request_id: int
    sha256: str


class ShareFileViewDetail(_ShareFileOpen):
    action = "share_file.view"


class ShareFileDownloadDetail(_ShareFileOpen):
    action = "share_file.download"


class ShareFilePurgeDetail(AuditDetail):
    action = "share_file.purge"
    files: int


class NeighborhoodAlertPostDetail(AuditDetail):
    action = "neighborhood_alert.post"
    agency_id: int
    radius_m: int
    notified: int


class LprGrantAskDetail(AuditDetail):
    """An officer asked a site that does not share with the agency for some of its reads."""

    action = "lpr_grant.ask"
    request_id: int
    site_id: int
    agency_id: int
    camera_ids: Names
    plates: Names


class LprGrantApproveDetail(AuditDetail):
    action = "lpr_grant.approve"
    site_id: int
    agency_id: int
    expires_at: IsoTime


class LprGrantDeclineDetail(AuditDetail):
    action = "lpr_grant.decline"
    site_id: int
    agency_id: int


class LprGrantRevokeDetail(AuditDetail):
    action = "lpr_grant.revoke"
    site_id: int
    agency_id: int


class LprGrantExpireDetail(AuditDetail):
    """`was`: pending (its request closed undecided) or approved (its time ran out)."""

    action = "lpr_grant.expire"
    was: str


class LprGrantUseDetail(AuditDetail):
    """A search under the grant's case number reached the granted reads; `search_audit_id` is
    the search's own `reads.search` entry, `results` the hits that came through this grant."""

    action = "lpr_grant.use"
    grant_id: int
    site_id: int
    search_audit_id: int
    results: int


class FootageRequestExportDetail(AuditDetail):
    """An agency exported the request with its shared files (each file's own
    `share_file.download` is recorded beside it); `archive_sha256` is the ZIP's hash."""

    action = "footage_request.export"
    request_id: int
    files: int
    archive_sha256: str


CommunityAuditDetail = (
    ResidentJoinDetail
    | ResidentOptOutDetail
    | CommunityCameraAddDetail
    | CommunityCameraEditDetail
    | CommunityCameraPauseDetail
    | CommunityCameraResumeDetail
    | CommunityCameraRemoveDetail
    | InviteCreateDetail
    | InviteRevokeDetail
    | FootageRequestDraftDetail
    | FootageRequestApproveDetail
    | FootageRequestDeclineDetail
    | FootageRequestExpireDetail
    | FootageRequestResidentDeclineDetail
    | FootageShareCreateDetail
    | FootageShareWithdrawDetail
    | ShareFileViewDetail
    | ShareFileDownloadDetail
    | ShareFilePurgeDetail
    | NeighborhoodAlertPostDetail
    | LprGrantAskDetail
    | LprGrantApproveDetail
    | LprGrantDeclineDetail
    | LprGrantRevokeDetail
    | LprGrantExpireDetail
    | LprGrantUseDetail
    | FootageRequestExportDetail
)
