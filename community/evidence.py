"""What a shared file really is, judged by its content and never by its name: images must
decode, videos must open and yield a frame in OpenCV. And where it is stored and its hash."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

COMMUNITY_DIR = "community"
# (magic prefix, offset, content type, extension); MP4/MOV carry `ftyp` after a length.
_SIGNATURES = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"ftyp", 4, "video/mp4", "mp4"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm", "webm"),
    (b"RIFF", 0, "video/x-msvideo", "avi"),
)


class EvidenceError(ValueError):
    """A file that cannot be shared; the message names the file and what was wrong."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    name: str
    data: bytes
    content_type: str
    extension: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _sniff(data: bytes) -> tuple[str, str] | None:
    for magic, offset, content_type, extension in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if extension == "avi" and data[8:12] != b"AVI ":
                continue
            return content_type, extension
    return None


def _video_opens(data: bytes, scratch: Path, extension: str) -> bool:
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(suffix=f".{extension}", dir=scratch)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        capture = cv2.VideoCapture(name)
        try:
            ok, _ = capture.read()
            return bool(capture.isOpened() and ok)
        finally:
            capture.release()
    finally:
        Path(name).unlink(missing_ok=True)


def _image_decodes(data: bytes) -> bool:
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8)
    return decoded is not None


def check_upload(upload: Upload, *, max_bytes: int, scratch: Path) -> CheckedFile:
    """The file with its real type and hash; EvidenceError if it is not a video or photo."""
    where = f"file {upload.name!r}"
    if not upload.data:
        msg = f"{where} is empty; choose the clip or photo again"
        raise EvidenceError(msg)
    if len(upload.data) > max_bytes:
        msg = (
            f"{where} is over the {max_bytes}-byte limit; trim the clip to the requested time range"
        )
        raise EvidenceError(msg)
    sniffed = _sniff(upload.data)
    if sniffed is None:
        msg = (
            f"{where} is not a video or photo (whatever its name says); share MP4, MOV, WebM, "
            "AVI, JPEG or PNG"
        )
        raise EvidenceError(msg)
    content_type, extension = sniffed
    readable = (
        _image_decodes(upload.data)
        if content_type.startswith("image/")
        else _video_opens(upload.data, scratch, extension)
    )
    if not readable:
        msg = f"{where} looks like {content_type} but cannot be played; it may be damaged"
        raise EvidenceError(msg)
    digest = hashlib.sha256(upload.data).hexdigest()
    return CheckedFile(upload.name, upload.data, content_type, extension, digest)


def store_file(image_root: Path, rel: str, data: bytes) -> None:
    """Write atomically, so a reader or the purge never sees half a file."""
    target = image_root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_bytes(data)
    tmp.replace(target)
