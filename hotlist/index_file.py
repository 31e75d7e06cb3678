"""The hotlist index: one file that every matcher process memory-maps.

A rebuilt list is written once (by whichever process notices the new version first) and
mapped by all the others, so a million entries "load" in the time it takes to map a file, and
the page cache holds one copy for the whole machine.

Layout (little-endian, every array 8-byte aligned after a JSON header):
  entries:  id int64, list uint16, plate S16 (normalized, wildcards kept), state S3,
            expires int64 (epoch seconds, 0 = never)
  exact:    canonical-plate key -> entries            (exact and OCR-equivalent matches)
  deletion: key of each one-character deletion of an entry's canonical plate -> entries
            (a read that missed one character finds its entry with a single probe)
  wildcard: ordinals of the `?`/`*` entries, matched by pattern after a trigram filter

A table is a bucketed hash: `dir[b]..dir[b+1]` are the rows of bucket `key % buckets`, sorted
by key. A probe is one modulo and two or three array reads from a memoryview.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAGIC = b"PWHX0002"
PLATE_BYTES = 16
STATE_BYTES = 3
_HEAD = struct.Struct("<8sQ")


def data_start(header_len: int) -> int:
    """Arrays start at the first 8-byte boundary after the header."""
    return (_HEAD.size + header_len + 7) // 8 * 8


@dataclass(frozen=True)
class ListInfo:
    """A hotlist as the index knows it."""

    id: int
    name: str
    version: int
    priority: int
    source: str
    owner_site_id: int | None
    owner_agency_id: int | None
    refreshed_at: str | None


@dataclass(frozen=True)
class EntryRef:
    """One entry read back from the index."""

    ordinal: int
    entry_id: int
    list_index: int
    plate: str
    state: str | None
    expires: int  # epoch seconds, 0 = never


# (directory, keys, postings) as numpy arrays over the mapped file, for batch probes.
TableArrays = tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint64], npt.NDArray[np.uint32]]


class _Table:
    """A read-only bucketed hash from 64-bit keys to entry ordinals."""

    __slots__ = ("_arrays", "buckets", "directory", "keys", "postings")

    def __init__(self, directory: memoryview, keys: memoryview, postings: memoryview) -> None:
        self.directory = directory
        self.keys = keys
        self.postings = postings
        self.buckets = len(directory) - 1
        self._arrays: TableArrays | None = None

    @property
    def arrays(self) -> TableArrays:
        """The same table as numpy arrays (views of the map, not copies)."""
        if self._arrays is None:
            self._arrays = (
                np.frombuffer(self.directory, dtype=np.uint32),
                np.frombuffer(self.keys, dtype=np.uint64),
                np.frombuffer(self.postings, dtype=np.uint32),
            )
        return self._arrays

    def get(self, key: int, out: list[int]) -> None:
        """Append the ordinals stored under `key` to `out`."""
        if self.buckets <= 0:
            return
        bucket = key % self.buckets
        lo = self.directory[bucket]
        hi = self.directory[bucket + 1]
        if lo == hi:
            return
        keys = self.keys
        while lo < hi:
            found = keys[lo]
            if found == key:
                out.append(self.postings[lo])
            elif found > key:
                return
            lo += 1


class IndexFile:
    """A mapped index file. Keep the object alive while its memoryviews are in use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        magic, header_len = _HEAD.unpack_from(self._map, 0)
        if magic != MAGIC:
            msg = f"{path} is not a platewatch hotlist index (or an older format); delete it"
            raise ValueError(msg)
        self.header: dict[str, Any] = json.loads(self._map[_HEAD.size : _HEAD.size + header_len])
        view = memoryview(self._map)
        base = data_start(header_len)
        arrays = {
            name: view[base + spec["offset"] : base + spec["offset"] + spec["nbytes"]]
            for name, spec in self.header["arrays"].items()
        }
        self._arrays = arrays
        self.entry_ids = arrays["entry_id"].cast("q")
        self.entry_lists = arrays["entry_list"].cast("H")
        self.entry_expires = arrays["entry_expires"].cast("q")
        self._plates_off = base + self.header["arrays"]["entry_plate"]["offset"]
        self._states_off = base + self.header["arrays"]["entry_state"]["offset"]
        self.exact = _Table(
            arrays["exact_dir"].cast("I"),
            arrays["exact_keys"].cast("Q"),
            arrays["exact_post"].cast("I"),
        )
        self.deletion = _Table(
            arrays["del_dir"].cast("I"), arrays["del_keys"].cast("Q"), arrays["del_post"].cast("I")
        )
        self.wildcards = list(arrays["wildcard"].cast("I"))
        self.lists = [ListInfo(**info) for info in self.header["lists"]]
        self.fingerprint: str = self.header["fingerprint"]
        self.entry_count: int = self.header["entries"]

    def plate(self, ordinal: int) -> str:
        start = self._plates_off + ordinal * PLATE_BYTES
        return self._map[start : start + PLATE_BYTES].rstrip(b"\0").decode("ascii")

    def state(self, ordinal: int) -> str | None:
        start = self._states_off + ordinal * STATE_BYTES
        return self._map[start : start + STATE_BYTES].rstrip(b"\0").decode("ascii") or None

    def entry(self, ordinal: int) -> EntryRef:
        return EntryRef(
            ordinal,
            self.entry_ids[ordinal],
            self.entry_lists[ordinal],
            self.plate(ordinal),
            self.state(ordinal),
            self.entry_expires[ordinal],
        )

    def close(self) -> None:
        for name in list(vars(self)):
            if isinstance(getattr(self, name), memoryview | _Table):
                delattr(self, name)
        self._arrays.clear()
        # A caller may still hold a view; the map is then released with the last reference.
        with contextlib.suppress(BufferError):
            self._map.close()
