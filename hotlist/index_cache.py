"""Keeping a running matcher's index current without a restart.

`IndexCache.current(session)` asks the database for the lists' versions (one small query, at
most every `index_check_interval_s`) and returns the same Matcher until a version moves. Then
it maps the index file for the new versions, building it first if no other process has: the
build takes a file lock, so two matchers never build the same index twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist.index_build import build_index, index_path, list_versions
from hotlist.index_file import IndexFile
from hotlist.matcher import Matcher, SafeEntry
from hotlist.plates import canonical
from hotlist.settings import MatchSettings
from store.tables import SafelistEntry, Site

log = logging.getLogger(__name__)
_STALE_AFTER_S = 600.0


def default_index_dir(session: Session) -> Path:
    """Beside a SQLite file; otherwise a cache folder per database (all processes on this
    machine that use the same database share it)."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "hotlist-index"
    name = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "platewatch-hotlist-index" / name


class IndexCache:
    """The current Matcher of one process; rebuilt only when a list or safe list changed."""

    def __init__(
        self, index_dir: Path | None = None, *, settings: MatchSettings | None = None
    ) -> None:
        self.settings = settings or MatchSettings()
        self.index_dir = index_dir or self.settings.index_dir
        self._matcher: Matcher | None = None
        self._versions: tuple[tuple[int, int], ...] | None = None
        self._safe_versions: tuple[tuple[int, int], ...] | None = None
        self._checked = 0.0

    def current(self, session: Session) -> Matcher:
        """The matcher for the lists as they are now (as of the last check)."""
        now = time.monotonic()
        if self._matcher is not None and now - self._checked < self.settings.index_check_interval_s:
            return self._matcher
        versions = list_versions(session)
        safe_versions = tuple(
            (int(i), int(v))
            for i, v in session.execute(select(Site.id, Site.safelist_version).order_by(Site.id))
        )
        matcher = self._matcher
        if matcher is None or versions != self._versions or safe_versions != self._safe_versions:
            same_lists = matcher is not None and versions == self._versions
            same_safe = matcher is not None and safe_versions == self._safe_versions
            self._versions = versions
            index = matcher.index if same_lists and matcher else self._open_index(session, versions)
            safelists = matcher.safelists if same_safe and matcher else load_safelists(session)
            matcher = Matcher(index, safelists, self.settings)
            self._matcher = matcher
            self._safe_versions = safe_versions
        self._checked = now
        return matcher

    def _open_index(
        self, session: Session, versions: tuple[tuple[int, int], ...]
    ) -> IndexFile | None:
        if not versions:
            return None
        folder = self.index_dir or default_index_dir(session)
        path = index_path(folder, versions)
        for _ in range(3):
            if not path.exists():
                with _locked(folder):
                    if not path.exists():
                        started = time.perf_counter()
                        path, built = build_index(session, folder)
                        # A list that changed during the build is already in the file.
                        self._versions = built
                        log.info(
                            "hotlist index built in %.1f s: %s",
                            time.perf_counter() - started,
                            path.name,
                        )
                        _remove_stale(folder, keep=path)
            try:
                return IndexFile(path)
            except FileNotFoundError:
                continue  # removed as stale between the check and the open: build it again
        msg = f"could not open the hotlist index {path}"
        raise RuntimeError(msg)


def load_safelists(session: Session) -> dict[int, dict[str, tuple[SafeEntry, ...]]]:
    """Every site's safe list, keyed by canonical plate."""
    by_site: dict[int, defaultdict[str, list[SafeEntry]]] = defaultdict(lambda: defaultdict(list))
    for e in session.scalars(select(SafelistEntry)):
        expires = e.expires_at.timestamp() if e.expires_at else 0.0
        by_site[e.site_id][canonical(e.plate)].append(SafeEntry(e.plate, e.state, e.label, expires))
    return {
        site: {plate: tuple(v) for plate, v in plates.items()} for site, plates in by_site.items()
    }


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".build.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale(folder: Path, keep: Path) -> None:
    """Old index files go after a while; processes that still map one keep their copy."""
    cutoff = time.time() - _STALE_AFTER_S
    for old in folder.glob("hotlists-*.pwx"):
        if old != keep and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
