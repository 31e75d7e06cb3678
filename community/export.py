"""An agency's export of one footage request for its case file: a ZIP of the request, its
status, each shared file with its times and coarse cell, the files themselves and their
SHA-256 sums.

It is built from what the agency already sees (`community.shares.agency_shares`), so it
cannot carry who was asked, how many were asked or who declined; the exact place and contact
appear only where `agency_shares` gives them (listed cameras, or the resident added them).
Every file put in is opened through `open_file` (a `share_file.download` entry each, and the
share becomes evidence), and the export itself is audited as `footage_request.export`.
The CSV cells go through store.spreadsheet, so no resident's note runs as a formula.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from community.evidence import COMMUNITY_DIR
from community.requests import get_for_agency
from community.shares import FileView, ShareView, agency_shares, open_file
from store.audit import record_audit
from store.audit_community import FootageRequestExportDetail
from store.base import utcnow
from store.spreadsheet import SpreadsheetWriter
from store.tables import FootageRequest, ShareFile

SHARE_COLUMNS = (
    "share_id",
    "shared_at",
    "cell",
    "cell_lat",
    "cell_lon",
    "exact_lat",
    "exact_lon",
    "contact",
    "note",
    "file_id",
    "file",
    "content_type",
    "size_bytes",
    "sha256",
    "recorded_at",
    "uploaded_at",
    "state",
)


@dataclass(frozen=True)
class RequestExport:
    """The ZIP on disk (the caller sends, then deletes it) and the name to offer."""

    path: Path
    filename: str
    files: int
    sha256: str


@dataclass(frozen=True)
class _Entry:
    share: ShareView
    file: FileView
    arcname: str
    state: str
    source: Path | None


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _request_csv(row: FootageRequest, actor: str, now: datetime, shares: int) -> str:
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    writer.writerow(("field", "value"))
    for field, value in (
        ("request_id", row.id),
        ("case_number", row.case_number),
        ("status", row.status),
        ("public_summary", row.public_summary),
        ("details", row.details),
        ("starts_at", _iso(row.starts_at)),
        ("ends_at", _iso(row.ends_at)),
        ("center_lat", row.center_lat),
        ("center_lon", row.center_lon),
        ("radius_m", row.radius_m),
        ("investigator_contact", row.contact),
        ("drafted_by", row.created_by),
        ("decided_by", row.approved_by or ""),
        ("decided_at", _iso(row.approved_at)),
        ("open_until", _iso(row.expires_at)),
        ("shares", shares),
        ("exported_by", actor),
        ("exported_at", _iso(now)),
    ):
        writer.writerow((field, value))
    return out.getvalue()


def _shares_csv(entries: list[_Entry]) -> str:
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    writer.writerow(SHARE_COLUMNS)
    for e in entries:
        s, f = e.share, e.file
        writer.writerow(
            (
                s.id, _iso(s.created_at), s.cell or "", s.cell_lat, s.cell_lon, s.exact_lat,
                s.exact_lon, s.contact or "", s.note, f.id, e.arcname if e.source else "",
                f.content_type, f.size, f.sha256, _iso(f.captured_at), _iso(f.created_at),
                e.state,
            )
        )  # fmt: skip
    return out.getvalue()


def _collect(
    session: Session, views: list[ShareView], *, agency_id: int | None, actor: str, root: Path
) -> list[_Entry]:
    """Each shared file, opened (and audited) if it is still there."""
    entries = []
    for view in views:
        for f in view.files:
            row = session.get_one(ShareFile, f.id)
            if f.purged:
                entries.append(_Entry(view, f, "", "deleted by retention", None))
                continue
            if not (root / row.path).is_file():
                entries.append(_Entry(view, f, "", "missing from storage", None))
                continue
            opened = open_file(
                session, f.id, agency_id=agency_id, actor=actor, download=True, image_root=root
            )
            entries.append(_Entry(view, f, f"files/{opened.filename}", "included", opened.path))
    return entries


def _write_zip(target: Path, request_csv: str, entries: list[_Entry]) -> None:
    sums = "".join(f"{e.file.sha256}  {e.arcname}\n" for e in entries if e.source is not None)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("request.csv", request_csv)
        archive.writestr("shares.csv", _shares_csv(entries))
        archive.writestr("SHA256SUMS", sums)
        for e in entries:
            if e.source is not None:
                # Clips are compressed already; storing them keeps the export fast.
                archive.write(e.source, e.arcname, compress_type=zipfile.ZIP_STORED)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export_request(
    session: Session,
    request_id: int,
    *,
    agency_id: int | None,
    actor: str,
    image_root: Path,
    now: datetime | None = None,
) -> RequestExport:
    """Write the export to a temporary ZIP beside the shared files and audit it; the caller
    commits, sends the file and deletes it. NotFoundError for another agency's request."""
    now = now or utcnow()
    row = get_for_agency(session, request_id, agency_id)
    views = agency_shares(session, request_id, agency_id)
    entries = _collect(session, views, agency_id=agency_id, actor=actor, root=image_root)
    scratch = image_root / COMMUNITY_DIR / ".scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="export-", suffix=".zip", dir=scratch)
    os.close(fd)
    target = Path(name)
    try:
        _write_zip(target, _request_csv(row, actor, now, len(views)), entries)
        digest = _sha256(target)
    except OSError:
        target.unlink(missing_ok=True)
        raise
    included = sum(e.source is not None for e in entries)
    record_audit(
        session,
        actor=actor,
        subject=f"footage_request:{row.id}",
        case_number=row.case_number,
        detail=FootageRequestExportDetail(request_id=row.id, files=included, archive_sha256=digest),
    )
    filename = f"footage-request-{row.id}-{row.case_number.replace('/', '-')}.zip"
    return RequestExport(target, filename, included, digest)
