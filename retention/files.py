"""The image files on disk: deleting a read's images, finding strays.

The layout is the edge reader's (`alpr.images`, imported so the two cannot drift apart):
`<root>/<camera_id>/<YYYY>/<MM>/<DD>/<read_id>_crop.jpg` and `_frame.jpg`, dated by the UTC day
of capture; reads store these paths relative to the root in posix form.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from alpr.images import TEMP_PREFIX, image_paths, read_id_from_image, relative

log = logging.getLogger(__name__)
_ANY_ROOT = Path("/")


def image_relpath(camera_id: str, captured_at: datetime, read_id: str, kind: str) -> str:
    """The path of a read's `crop` or `frame` image relative to the image root."""
    crop, frame = image_paths(_ANY_ROOT, camera_id, captured_at, read_id)
    return relative(_ANY_ROOT, crop if kind == "crop" else frame)


def is_temp_name(name: str) -> bool:
    """An image the edge is still writing (or was killed writing): renamed into place after."""
    return name.startswith(TEMP_PREFIX)


def safe_relpath(rel: str) -> bool:
    """Whether a stored path stays inside the image root (a bad row must not delete /etc)."""
    path = PurePosixPath(rel)
    return bool(rel) and not path.is_absolute() and ".." not in path.parts and "\\" not in rel


@dataclass(frozen=True)
class DeleteOutcome:
    deleted: int
    missing: int
    # Paths that could not be deleted (permissions, I/O) or were refused as unsafe.
    failed: tuple[str, ...]


class _Unlinker:
    """Unlinks sorted paths folder by folder through a folder descriptor: resolving the
    folder once instead of per file is what keeps pace with `find -delete`."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.deleted = 0
        self.missing = 0
        self.errors: list[tuple[str, str]] = []

    def folder(self, folder: str, names: list[str]) -> None:
        try:
            fd = os.open(f"{self.root}/{folder}", os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            self.missing += len(names)
            return
        except OSError as exc:
            self.errors += [(f"{folder}/{n}", exc.strerror or str(exc)) for n in names]
            return
        try:
            for name in names:
                try:
                    os.unlink(name, dir_fd=fd)
                    self.deleted += 1
                except FileNotFoundError:
                    self.missing += 1
                except OSError as exc:
                    self.errors.append((f"{folder}/{name}", exc.strerror or str(exc)))
        finally:
            os.close(fd)

    def run(self, rels: Sequence[str]) -> _Unlinker:
        folder = ""
        names: list[str] = []
        for rel in rels:
            if not safe_relpath(rel):
                self.errors.append((rel, "not a path inside the image root"))
                continue
            parent, _, name = rel.rpartition("/")
            if parent != folder and names:
                self.folder(folder, names)
                names = []
            folder = parent
            names.append(name)
        if names:
            self.folder(folder, names)
        for rel, why in self.errors:
            log.error("could not delete %s/%s: %s", self.root, rel, why)
        return self


def delete_files(root: Path, rels: Sequence[str], threads: int = 1) -> DeleteOutcome:
    """Unlink files under root; a file already gone counts as missing, not as a failure."""
    base = os.fspath(root)
    ordered = sorted(rels)
    # Contiguous slices of the sorted paths keep each thread in its own folders: threads in
    # one folder would queue on its lock instead of overlapping their waits on the disk.
    step = max(256, -(-len(ordered) // threads))
    slices = [ordered[i : i + step] for i in range(0, len(ordered), step)]
    if len(slices) <= 1:
        parts = [_Unlinker(base).run(ordered)]
    else:
        # unlink releases the GIL while the file system works, so the threads overlap.
        with ThreadPoolExecutor(max_workers=len(slices)) as pool:
            parts = list(pool.map(lambda part: _Unlinker(base).run(part), slices))
    return DeleteOutcome(
        deleted=sum(p.deleted for p in parts),
        missing=sum(p.missing for p in parts),
        failed=tuple(rel for p in parts for rel, _ in p.errors),
    )


def folders_of(rels: Iterable[str]) -> set[str]:
    """The folders holding these files, relative to the image root."""
    return {rel.rpartition("/")[0] for rel in rels}


def _try_rmdir(path: str) -> bool:
    try:
        os.rmdir(path)  # noqa: PTH106  (a str path, as for unlink)
    except OSError:
        return False  # not empty (held or newer images), or already gone
    return True


def prune_empty_dirs(root: Path, folders: Iterable[str], threads: int = 1) -> int:
    """Remove the given day folders, then their months and years, when left empty; the
    camera folder stays."""
    levels: dict[int, set[str]] = {4: set(), 3: set(), 2: set()}
    for folder in folders:
        parts = folder.split("/")
        # camera/YYYY/MM/DD: days first, then months, then years.
        for depth, level in levels.items():
            if len(parts) >= depth:
                level.add("/".join(parts[:depth]))
    base = os.fspath(root)
    removed = 0
    # Each rmdir waits on the disk (the freed blocks are discarded), so they run in threads.
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for depth in (4, 3, 2):
            paths = [f"{base}/{rel}" for rel in sorted(levels[depth])]
            removed += sum(pool.map(_try_rmdir, paths))
    return removed


@dataclass(frozen=True)
class ImageFile:
    rel_path: str
    read_id: str | None
    mtime: float


def scan_images(root: Path) -> Iterator[ImageFile]:
    """Every file under the image root, with the read id its name gives (None if foreign)."""
    if not root.is_dir():
        return
    stack = [(os.fspath(root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{rel}/"))
                else:
                    mtime = entry.stat(follow_symlinks=False).st_mtime
                    yield ImageFile(rel, read_id_from_image(entry.name), mtime)
