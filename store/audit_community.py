"""Audit details of the community cameras: residents, invites, registered cameras, footage
requests and shares. Locations appear only as coarse cells, never as exact places."""

from __future__ import annotations

from store.audit_base import AuditDetail


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
)
