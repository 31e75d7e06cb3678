"""The reads' group digests in the receipt chain's signed checkpoints, and what they add up to.

Every receipts checkpoint carries `reads`, canonical JSON: the `cut` (rows that arrived by then
are covered), the `groups` whose digest it signs ({key: [count, sha256]}), the groups an
operator `accepted` as changed, and the `root` of the whole state after it (SHA-256 of one line
`key cut count digest` per group in key order). The state is the sink replayed in order: each
group as its last checkpoint signed it.

The writer re-signs only groups that rows arrived in since the last cut, and only when the rows
that were there at the group's own cut still hash to what was signed: a row edited, deleted,
moved or given a later arrival time between checkpoints is never blessed; it stays signed as it
was, and verification (store.read_verify) names the group until it is restored or accepted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, Protocol

from sqlalchemy.orm import Session

from store.read_digests import (
    EMPTY,
    Group,
    Tally,
    all_day_groups,
    arrivals,
    groups_of,
    parse_key,
    site_groups,
)

log = logging.getLogger(__name__)

# Rows are covered once they arrived this long before a checkpoint: longer than any ingest
# transaction and any clock skew between hosts, so no row commits behind a cut it predates.
SETTLE = timedelta(minutes=10)


class Checkpointed(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def created_at(self) -> str: ...
    @property
    def reads(self) -> str | None: ...


@dataclass(frozen=True)
class ReadsOptions:
    """How a checkpoint covers the reads; `accept` re-signs changed groups (audited)."""

    settle: timedelta = SETTLE
    accept: frozenset[str] = frozenset()
    actor: str = "checkpoint"

    def __post_init__(self) -> None:
        for key in self.accept:
            parse_key(key)  # raises ValueError naming the bad key and the forms


@dataclass(frozen=True)
class Signed:
    """A group as a checkpoint last signed it."""

    seq: int
    signed_at: str
    cut: datetime
    tally: Tally


@dataclass(frozen=True)
class ReadsPayload:
    cut: datetime
    groups: tuple[tuple[str, Tally], ...]
    accepted: tuple[str, ...]
    root: str

    def encode(self) -> str:
        body = {
            "cut": self.cut.isoformat(),
            "groups": {key: [t.count, t.digest] for key, t in self.groups},
            "accepted": list(self.accepted),
            "root": self.root,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"))


def decode(text: str) -> ReadsPayload:
    """Parse a checkpoint's `reads`; raises ValueError on anything malformed."""
    try:
        data: Any = json.loads(text)
        groups = tuple((str(k), Tally(int(v[0]), str(v[1]))) for k, v in data["groups"].items())
        cut = datetime.fromisoformat(data["cut"])
        payload = ReadsPayload(cut, groups, tuple(map(str, data["accepted"])), str(data["root"]))
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        msg = f"malformed reads digest ({exc.__class__.__name__})"
        raise ValueError(msg) from exc
    if cut.tzinfo is None:
        msg = "malformed reads digest (its cut has no time zone)"
        raise ValueError(msg)
    return payload


def state_root(groups: Mapping[str, tuple[datetime, Tally]]) -> str:
    digest = hashlib.sha256()
    for key in sorted(groups):
        cut, tally = groups[key]
        digest.update(f"{key} {cut.isoformat()} {tally.count} {tally.digest}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ReadsState:
    groups: Mapping[str, Signed] = field(default_factory=dict)
    # The last checkpoint that carried reads digests; None when none has.
    cut: datetime | None = None
    seq: int = 0
    signed_at: str = ""
    problems: tuple[str, ...] = ()

    def cuts(self) -> dict[str, tuple[datetime, Tally]]:
        return {key: (s.cut, s.tally) for key, s in self.groups.items()}


def replay(checkpoints: Iterable[Checkpointed]) -> ReadsState:
    """The state the checkpoints' reads digests add up to, in order (pass only verified ones)."""
    groups: dict[str, Signed] = {}
    last: tuple[ReadsPayload, int, str] | None = None
    problems = []
    for cp in checkpoints:
        if cp.reads is None:
            continue
        try:
            payload = decode(cp.reads)
        except ValueError as exc:
            problems.append(f"receipts checkpoint {cp.seq}: {exc}")
            continue
        for key, tally in payload.groups:
            groups[key] = Signed(cp.seq, cp.created_at, payload.cut, tally)
        last = (payload, cp.seq, cp.created_at)
    if last is None:
        return ReadsState(problems=tuple(problems))
    payload, seq, signed_at = last
    # Once, at the end: the sink's own links already show a line missing from the middle.
    if state_root({k: (s.cut, s.tally) for k, s in groups.items()}) != payload.root:
        problems.append(
            f"receipts checkpoint {seq}: its reads root does not match the digests signed "
            "before it: a checkpoint carrying reads digests is missing from the sink"
        )
    return ReadsState(groups, payload.cut, seq, signed_at, tuple(problems))


def _continues(state: ReadsState, group: Group) -> bool:
    """Whether the group's rows that had arrived at its signed cut still hash as signed."""
    before = state.groups.get(group.key)
    if before is None:
        assert state.cut is not None
        return group.tally(state.cut) == Tally(0, EMPTY)
    return group.tally(before.cut) == before.tally


def _full(session: Session, cut: datetime) -> dict[str, Tally]:
    """Every group: the first checkpoint that signs reads has nothing to continue."""
    groups = chain(site_groups(session), all_day_groups(session))
    return {group.key: group.tally(cut) for group in groups}


def _changed(
    session: Session, state: ReadsState, cut: datetime, accept: frozenset[str]
) -> dict[str, Tally]:
    assert state.cut is not None
    fresh: dict[str, Tally] = {}
    for group in groups_of(session, arrivals(session, state.cut, cut) | accept):
        if group.key not in accept and not _continues(state, group):
            before = state.groups.get(group.key)
            log.error(
                "%s changed since checkpoint %s; not re-signing it (`platewatch retention "
                "audit` says how)",
                group.key,
                before.seq if before else state.seq,
            )
            continue
        tally = group.tally(cut)
        before = state.groups.get(group.key)
        if before is None or before.tally != tally or group.key in accept:
            fresh[group.key] = tally
    return fresh


def reads_update(
    session: Session, signed: Iterable[Checkpointed], now: datetime, options: ReadsOptions
) -> str:
    """The `reads` of the next receipts checkpoint, after the verified ones in `signed`."""
    state = replay(signed)
    cut = now - options.settle
    if state.cut is None:
        fresh = _full(session, cut)
    else:
        cut = max(cut, state.cut)
        fresh = _changed(session, state, cut, options.accept)
    merged = state.cuts()
    merged.update((key, (cut, tally)) for key, tally in fresh.items())
    accepted = tuple(sorted(options.accept)) if state.cut is not None else ()
    payload = ReadsPayload(cut, tuple(sorted(fresh.items())), accepted, state_root(merged))
    return payload.encode()
