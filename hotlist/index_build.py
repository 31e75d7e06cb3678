"""Building the index file from the database, vectorized with numpy.

A million entries become about seven million deletion keys; computing, sorting and bucketing
them as arrays takes seconds, where a Python loop would take a minute.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hotlist.index_file import _HEAD, MAGIC, PLATE_BYTES, STATE_BYTES, ListInfo, data_start
from hotlist.plates import EQUIVALENCE_CLASSES, MAX_KEY_LENGTH
from store.tables import Hotlist

FORMAT_VERSION = 2
U64 = npt.NDArray[np.uint64]


def list_versions(session: Session) -> tuple[tuple[int, int], ...]:
    """(list id, version) of every hotlist: what the index must be rebuilt for."""
    rows = session.execute(select(Hotlist.id, Hotlist.version).order_by(Hotlist.id))
    return tuple((int(i), int(v)) for i, v in rows)


def fingerprint(versions: Sequence[tuple[int, int]]) -> str:
    body = json.dumps([FORMAT_VERSION, list(versions)]).encode()
    return hashlib.sha256(body).hexdigest()[:24]


def index_path(index_dir: Path, versions: Sequence[tuple[int, int]]) -> Path:
    return index_dir / f"hotlists-{fingerprint(versions)}.pwx"


def _list_infos(session: Session) -> list[ListInfo]:
    return [
        ListInfo(
            h.id,
            h.name,
            h.version,
            h.priority,
            h.source,
            h.owner_site_id,
            h.owner_agency_id,
            h.refreshed_at.isoformat() if h.refreshed_at else None,
        )
        for h in session.scalars(select(Hotlist).order_by(Hotlist.id))
    ]


def _fetch_entries(session: Session) -> list[Any]:
    """(id, hotlist id, plate, state, expires epoch) of every entry, in one statement."""
    if session.get_bind().dialect.name == "postgresql":
        expires = "COALESCE(EXTRACT(EPOCH FROM expires_at)::bigint, 0)"
    else:
        expires = "COALESCE(CAST(strftime('%s', expires_at) AS INTEGER), 0)"
    statement = text(
        f"SELECT id, hotlist_id, plate, COALESCE(state, ''), {expires} "  # noqa: S608
        "FROM hotlist_entries"
    )
    return list(session.execute(statement))


def build_index(session: Session, folder: Path) -> tuple[Path, tuple[tuple[int, int], ...]]:
    """Write the index of every list into `folder` (atomically); returns its path and the
    versions it holds.

    Versions are read before and after the one SELECT of the entries: a list changed in
    between (its version bumps in the same transaction as its entries) forces a retry, so
    the file always matches its fingerprint even on READ COMMITTED.
    """
    for _ in range(5):
        before = list_versions(session)
        lists = _list_infos(session)
        rows = _fetch_entries(session)
        if list_versions(session) == before:
            path = index_path(folder, before)
            write_index(path, lists, rows, before)
            return path, before
    msg = "hotlists kept changing while the index was built; try again"
    raise RuntimeError(msg)


def _lookup_tables() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]:
    canon = np.arange(256, dtype=np.uint8)
    for cls in EQUIVALENCE_CLASSES:
        for ch in cls[1:]:
            canon[ord(ch)] = ord(cls[0])
    digit = np.zeros(256, dtype=np.uint64)
    for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        digit[ord(ch)] = i
    return canon, digit


def _keys(digits: U64, lengths: npt.NDArray[np.int64], skip: int | None) -> U64:
    """int('1' + canonical, 36) for every row, leaving out column `skip` if given.

    Rows are handled by length, so no column past a plate's end is ever touched."""
    key = np.zeros(len(digits), dtype=np.uint64)
    for length in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == length)
        part = np.ones(len(rows), dtype=np.uint64)
        for col in range(int(length)):
            if col != skip:
                part = part * np.uint64(36) + digits[rows, col]
        key[rows] = part
    return key


def _table(
    keys: U64, postings: npt.NDArray[np.uint32], spread: int = 1
) -> dict[str, np.ndarray[Any, Any]]:
    # `spread` buckets per key leave most buckets empty, so a miss is decided by the
    # directory alone (the exact table is probed ten times per read; it is worth it there).
    buckets = _odd_at_least(max(1, len(keys) * spread))
    # Sorted by key, then (stably) by bucket: each bucket's keys come out in order. An
    # entry never yields the same key twice (runs are deleted once), so nothing repeats.
    order = np.argsort(keys, kind="stable")
    keys, postings = keys[order], postings[order]
    bucket = keys % np.uint64(buckets)
    order = np.argsort(bucket, kind="stable")
    keys, postings, bucket = keys[order], postings[order], bucket[order]
    directory = np.zeros(buckets + 1, dtype=np.uint32)
    np.cumsum(np.bincount(bucket.astype(np.int64), minlength=buckets), out=directory[1:])
    return {"dir": directory, "keys": keys, "post": postings.astype(np.uint32)}


def _odd_at_least(n: int) -> int:
    # Base-36 keys of plates are spread evenly by an odd modulus not divisible by 3.
    n = max(n, 7)
    while n % 2 == 0 or n % 3 == 0:
        n += 1
    return n


def write_index(
    path: Path, lists: list[ListInfo], rows: list[Any], versions: Sequence[tuple[int, int]]
) -> None:
    list_index = {info.id: i for i, info in enumerate(lists)}
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    owners = np.fromiter((list_index[r[1]] for r in rows), dtype=np.uint16, count=n)
    plates = np.array([r[2] for r in rows], dtype=f"S{PLATE_BYTES}").reshape(n)
    states = np.array([r[3] for r in rows], dtype=f"S{STATE_BYTES}").reshape(n)
    expires = np.fromiter((int(r[4]) for r in rows), dtype=np.int64, count=n)
    arrays: dict[str, np.ndarray[Any, Any]] = {
        "entry_id": ids,
        "entry_list": owners,
        "entry_plate": plates,
        "entry_state": states,
        "entry_expires": expires,
    }
    arrays.update(_key_tables(plates))
    _dump(
        path,
        arrays,
        {
            "format": FORMAT_VERSION,
            "fingerprint": fingerprint(versions),
            "entries": n,
            "lists": [asdict(info) for info in lists],
        },
    )


def _key_tables(plates: npt.NDArray[np.bytes_]) -> dict[str, np.ndarray[Any, Any]]:
    canon_table, digit_table = _lookup_tables()
    raw = plates.view(np.uint8).reshape(len(plates), PLATE_BYTES)
    lengths = (raw != 0).sum(axis=1).astype(np.int64)
    raw = raw[:, : max(1, int(lengths.max(initial=0)))]
    wild = ((raw == ord("?")) | (raw == ord("*"))).any(axis=1)
    canon = canon_table[raw]
    digits = digit_table[canon]
    ordinals = np.arange(len(plates), dtype=np.uint32)
    plain = ~wild & (lengths <= MAX_KEY_LENGTH) & (lengths > 0)
    exact = _table(_keys(digits[plain], lengths[plain], None), ordinals[plain], spread=4)
    del_keys: list[U64] = []
    del_post: list[npt.NDArray[np.uint32]] = []
    for pos in range(raw.shape[1]):
        # Deleting either character of a run gives the same plate: index it once.
        take = plain & (lengths > pos) & (lengths >= 2)
        if pos > 0:
            take &= canon[:, pos] != canon[:, pos - 1]
        if not take.any():
            continue
        del_keys.append(_keys(digits[take], lengths[take], pos))
        del_post.append(ordinals[take])
    deletion = _table(
        np.concatenate(del_keys) if del_keys else np.zeros(0, np.uint64),
        np.concatenate(del_post) if del_post else np.zeros(0, np.uint32),
    )
    return {
        "exact_dir": exact["dir"],
        "exact_keys": exact["keys"],
        "exact_post": exact["post"],
        "del_dir": deletion["dir"],
        "del_keys": deletion["keys"],
        "del_post": deletion["post"],
        "wildcard": ordinals[wild],
    }


def _dump(path: Path, arrays: dict[str, np.ndarray[Any, Any]], header: dict[str, Any]) -> None:
    specs: dict[str, dict[str, int]] = {}
    offset = 0
    for name, array in arrays.items():
        specs[name] = {"offset": offset, "nbytes": int(array.nbytes)}
        offset += (int(array.nbytes) + 7) // 8 * 8
    blob = json.dumps(header | {"arrays": specs}).encode()
    base = data_start(len(blob))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".building-", suffix=".pwx")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(_HEAD.pack(MAGIC, len(blob)))
            out.write(blob)
            out.write(b"\0" * (base - _HEAD.size - len(blob)))
            for array in arrays.values():
                data = np.ascontiguousarray(array).tobytes()
                out.write(data)
                out.write(b"\0" * ((-len(data)) % 8))
        # Every matcher process (often another service user) maps it read-only.
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
