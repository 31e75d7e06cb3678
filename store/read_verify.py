"""Verifying the live reads and sites against the digests the receipt checkpoints signed.

Every group the sink's verified checkpoints signed is recomputed from the rows that had arrived
at its cut; any difference names the group (a capture day, or a site), says whether rows went
missing, appeared or were edited, and what to do. Rows that arrived after a group's cut are not
judged: the next checkpoint covers them. A row claiming to have arrived before the last cut in
a group no checkpoint signed was inserted with a back-dated arrival time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.checkpoints import Checkpoint, read_sink, signature_problem
from store.read_chain import ReadsState, Signed, replay
from store.read_digests import Group, all_day_groups, site_groups
from store.settings import CheckpointPaths
from store.signing import CheckpointKeyError, load_key
from store.tables import PlateReadRow

_READ_COLUMNS = (
    "capture or arrival time, camera, site, resident or hit flag, image paths or purge mark"
)
_SITE_COLUMNS = (
    "image retention days, resident retention hours, a camera's site or image retention days "
    "or a creation time"
)


@dataclass(frozen=True)
class ReadsProblem:
    group: str
    problem: str


def _describe(key: str) -> str:
    kind, _, value = key.partition(":")
    if kind == "day":
        return f"reads captured {value} (UTC)"
    return f"site {value}'s retention settings and cameras"


def _todo(key: str, signed_at: str) -> str:
    return (
        f"restore them from a backup taken before {signed_at} and audit again; if the change "
        f"was authorised, re-sign with `platewatch audit checkpoint --accept {key}` (audited)"
    )


def _rows(count: int, key: str) -> str:
    noun = "read" if key.startswith("day:") else "site or camera row"
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _changed(group: Group, signed: Signed) -> str | None:
    now = group.tally(signed.cut)
    if now == signed.tally:
        return None
    what = _describe(group.key)
    was = f"{_rows(signed.tally.count, group.key)} had arrived by checkpoint {signed.seq}"
    if now.count < signed.tally.count:
        how = (
            f"{signed.tally.count - now.count} were deleted, moved away or given a later "
            "arrival time"
        )
    elif now.count > signed.tally.count:
        how = f"{now.count - signed.tally.count} were inserted or moved in from elsewhere"
    else:
        columns = _READ_COLUMNS if group.key.startswith("day:") else _SITE_COLUMNS
        how = f"one of them was edited ({columns})"
    return f"{what}: {was} ({signed.signed_at}), {now.count} now: {how}; " + _todo(
        group.key, signed.signed_at
    )


def _unsigned(group: Group, state: ReadsState) -> str | None:
    assert state.cut is not None
    count = group.tally(state.cut).count
    if not count:
        return None
    return (
        f"{_describe(group.key)}: {_rows(count, group.key)} claim to have arrived before "
        f"checkpoint {state.seq} ({state.signed_at}), which signed none: they were inserted "
        "with a back-dated arrival time; " + _todo(group.key, state.signed_at)
    )


def _group_problems(session: Session, state: ReadsState) -> Iterator[ReadsProblem]:
    seen = set()
    for group in chain(site_groups(session), all_day_groups(session)):
        seen.add(group.key)
        signed = state.groups.get(group.key)
        problem = _unsigned(group, state) if signed is None else _changed(group, signed)
        if problem is not None:
            yield ReadsProblem(group.key, problem)
    for key, signed in sorted(state.groups.items()):
        if key not in seen and signed.tally.count:
            problem = _changed(Group(key, ()), signed)
            assert problem is not None
            yield ReadsProblem(key, problem)


def _signed(paths: CheckpointPaths) -> tuple[list[Checkpoint], str | None]:
    """The receipts checkpoints in the sink whose signatures verify (verify_checkpoints
    reports the others)."""
    receipts = [
        cp for line in read_sink(paths.sink) if (cp := line.checkpoint) and cp.chain == "receipts"
    ]
    if not receipts:
        return [], None
    try:
        verifier = load_key(paths.key).verifier
    except CheckpointKeyError as exc:
        return [], f"cannot check the reads digests: {exc}"
    return [cp for cp in receipts if signature_problem(cp, verifier) is None], None


def verify_reads(session: Session, paths: CheckpointPaths) -> list[ReadsProblem]:
    """One problem per group whose rows differ from what the last checkpoint signed."""
    signed, key_problem = _signed(paths)
    if key_problem is not None:
        return [ReadsProblem("reads", key_problem)]
    state = replay(signed)
    problems = [ReadsProblem("checkpoints", p) for p in state.problems]
    if state.cut is None:
        if session.scalar(select(PlateReadRow.read_id).limit(1)) is not None:
            why = (
                f"no signed checkpoint in {paths.sink} covers the reads yet; run "
                "`platewatch audit checkpoint` (cron should, hourly)"
            )
            problems.append(ReadsProblem("reads", why))
        return problems
    return problems + list(_group_problems(session, state))
