"""Which index rows a read may be: the lookup keys of a read and their probes.

A read finds its candidates with a handful of hash probes: its canonical plate (exact and
OCR-equivalent entries) and, when edits are allowed, each of its own one-character deletions
against the plates (it read one too many) and its key against the entries' one-character
deletions (it missed one; probed only when such a match can reach the verify threshold);
then the plates with the recognizer's runner-up characters swapped in and its whole-plate
alternatives.

Two forms of the same probes: `read_keys`/`probe` for one read in plain Python, and
`batch_keys`/`batch_probe` for a batch with numpy, where the per-read cost is a few array
elements instead of a dozen Python-level hash lookups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from alpr.read import PlateRead
from hotlist.index_file import PLATE_BYTES, IndexFile, TableArrays, _Table
from hotlist.plates import EQUIVALENCE_CLASSES, MAX_KEY_LENGTH, canonical
from hotlist.settings import MatchSettings

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
MAX_ALTERNATIVES = 4
MAX_CHOICE_VARIANTS = 6
_POW36 = tuple(36**i for i in range(MAX_KEY_LENGTH + 3))


def read_keys(canon: str, *, edits: bool) -> tuple[int | None, list[int]]:
    """(key of the whole canonical read or None if too long, keys of its one-character
    deletions). A deletion key is the whole key with one base-36 digit taken out, which is
    cheaper as arithmetic than as slicing and parsing strings."""
    n = len(canon)
    if n > MAX_KEY_LENGTH + 1 or n == 0:
        return None, []
    full = int("1" + canon, 36)
    whole = full if n <= MAX_KEY_LENGTH else None
    if not edits or n < 2:
        return whole, []
    # Deleting either character of a run gives the same key; duplicates only cost a probe.
    return whole, [(full // above) * below + full % below for above, below in _SPLITS[n]]


# Per plate length n, for each position p: (36^(n-p), 36^(n-p-1)); the digits of a key
# above position p are key // 36^(n-p), those below it key % 36^(n-p-1).
_SPLITS = tuple(
    tuple((36 ** (n - p), 36 ** (n - p - 1)) for p in range(n)) for n in range(MAX_KEY_LENGTH + 2)
)


def probe(table: _Table, keys: Sequence[int], out: list[int]) -> None:
    """Append the ordinals of every key found; most keys end at the bucket directory."""
    directory, buckets, get = table.directory, table.buckets, table.get
    if buckets <= 0:
        return
    for key in keys:
        bucket = key % buckets
        if directory[bucket] != directory[bucket + 1]:
            get(key, out)


def candidates(index: IndexFile, read: PlateRead, canon: str, settings: MatchSettings) -> list[int]:
    """Ordinals of every entry a probe of this read finds: the hot path of `Matcher.match`."""
    out: list[int] = []
    whole, keys = read_keys(canon, edits=bool(settings.max_edits))
    if whole is not None:
        keys.append(whole)
        if _longer_entries_can_match(settings):
            probe(index.deletion, (whole,), out)
    if read.alternatives or read.char_choices:
        keys += [int("1" + plate, 36) for plate in extra_plates(read, canon, settings.choice_min_p)]
    probe(index.exact, keys, out)
    return out


def extra_plates(read: PlateRead, canon: str, min_p: float, *, choices: bool = True) -> list[str]:
    """Canonical plates beyond the read's own: runner-up characters swapped in (unless
    `choices` is False: the caller knows none reaches min_p), and the recognizer's
    whole-plate alternatives."""
    out = choice_variants(read, canon, min_p) if choices else []
    for alt in read.alternatives[:MAX_ALTERNATIVES]:
        text = alt.plate
        if text.isalnum() and text.isascii() and text == text.upper():
            alt_canon = canonical(text) if len(text) <= MAX_KEY_LENGTH else ""
        else:
            alt_canon = _alternative_plate(text)
        if alt_canon and alt_canon != canon:
            out.append(alt_canon)
    return out


def choice_variants(read: PlateRead, canon: str, min_p: float) -> list[str]:
    """Canonical plates with the recognizer's runner-up characters swapped in: singles, and
    the two likeliest together."""
    choices = read.char_choices
    if len(choices) != len(canon):
        return []
    sure = read.char_confidences
    if len(sure) == len(canon) and min(sure, default=1.0) > 1 - min_p:
        return []  # every top character is so likely that no runner-up reaches min_p
    if max([p[1].p for p in choices if len(p) > 1], default=0.0) < min_p:
        return []
    singles: list[tuple[float, int, str]] = []
    for i, position in enumerate(choices):
        if len(position) < 2 or position[1].p < min_p:
            continue
        for choice in position[1:]:
            if choice.p < min_p:
                break
            c = canonical(choice.char.upper())
            if c != canon[i] and c.isascii() and c.isalnum():
                singles.append((choice.p, i, c))
    if not singles:
        return []
    singles.sort(reverse=True)
    singles = singles[:MAX_CHOICE_VARIANTS]
    variants = [canon[:i] + c + canon[i + 1 :] for _, i, c in singles]
    (_, i1, c1), *rest = singles
    for _, i2, c2 in rest:
        if i2 != i1:
            chars = list(canon)
            chars[i1], chars[i2] = c1, c2
            variants.append("".join(chars))
            break
    return variants


# ------------------------------------------------------------------------------- batches


def _digit_table() -> npt.NDArray[np.uint64]:
    """Byte of a plate character to the base-36 digit of its canonical character; 36 marks
    a byte that is not A-Z or 0-9 (such a plate gets no key)."""
    table = np.full(256, 36, dtype=np.uint64)
    for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        table[ord(ch)] = i
    for cls in EQUIVALENCE_CLASSES:
        for ch in cls[1:]:
            table[ord(ch)] = table[ord(cls[0])]
    return table


DIGITS = _digit_table()


def batch_keys(plates: Sequence[str], *, edits: bool) -> tuple[U64, I64, U64, I64]:
    """Keys of many plates at once, the same numbers `read_keys` gives one plate: (whole
    keys, their plate numbers, deletion keys, their plate numbers).

    Every key is a prefix times a power of 36 plus a suffix: prefixes come from one pass
    over the columns, suffixes from a reversed cumulative sum, so the work is a few array
    operations per column whatever the batch size.
    """
    count = len(plates)
    empty = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    if not count:
        return *empty, *empty
    raw = np.array(plates, dtype=f"S{PLATE_BYTES}").view(np.uint8).reshape(count, PLATE_BYTES)
    lengths = np.fromiter(map(len, plates), dtype=np.int64, count=count)
    ok = (lengths > 0) & (lengths <= MAX_KEY_LENGTH + 1)
    width = int(lengths[ok].max(initial=1))
    digits = DIGITS[raw[:, :width]]
    inside = np.arange(width) < lengths[:, None]
    ok &= ~((digits == 36) & inside).any(axis=1)
    digits = np.where(inside, digits, 0).astype(np.uint64)
    rows, lengths, digits = np.flatnonzero(ok), lengths[ok], digits[ok]
    pow36 = np.array(_POW36[: width + 2], dtype=np.uint64)
    # prefix[:, p]: key of the first p characters (with the leading 1).
    prefix = np.ones((len(rows), width + 1), dtype=np.uint64)
    for col in range(width):
        prefix[:, col + 1] = prefix[:, col] * np.uint64(36) + digits[:, col]
    whole_ok = lengths <= MAX_KEY_LENGTH
    whole = prefix[np.flatnonzero(whole_ok), lengths[whole_ok]]
    if not edits:
        return whole, rows[whole_ok], *empty
    # tail[:, p]: value of characters p.. of the plate, as if the plate ran to `width`.
    scaled = digits * pow36[width - 1 - np.arange(width)]
    tail = np.zeros((len(rows), width + 1), dtype=np.uint64)
    tail[:, :width] = np.cumsum(scaled[:, ::-1], axis=1, dtype=np.uint64)[:, ::-1]
    tail //= pow36[width - lengths][:, None]
    position = np.arange(width)
    take = (position < lengths[:, None]) & (lengths[:, None] >= 2)
    row_of, col_of = np.nonzero(take)
    after = lengths[row_of] - 1 - col_of
    deletion = prefix[row_of, col_of] * pow36[after] + tail[row_of, col_of + 1]
    return whole, rows[whole_ok], deletion, rows[row_of]


def batch_candidates(
    index: IndexFile, reads: Sequence[PlateRead], plates: Sequence[str], settings: MatchSettings
) -> dict[int, list[int]]:
    """Read number -> ordinals its probes found (reads without any are left out): the
    probes of `candidates` for a whole batch at once."""
    whole, whole_of, deletion, deletion_of = batch_keys(plates, edits=bool(settings.max_edits))
    keys, owners = [whole, deletion], [whole_of, deletion_of]
    extra_keys, extra_of = _extra_keys(reads, settings.choice_min_p)
    keys.append(extra_keys)
    owners.append(extra_of)
    hits = [batch_probe(index.exact.arrays, np.concatenate(keys), np.concatenate(owners))]
    if _longer_entries_can_match(settings):
        hits.append(batch_probe(index.deletion.arrays, whole, whole_of))
    found: dict[int, list[int]] = {}
    for owner, ordinal in zip(
        np.concatenate([h[0] for h in hits]).tolist(),
        np.concatenate([h[1] for h in hits]).tolist(),
        strict=True,
    ):
        found.setdefault(owner, []).append(ordinal)
    return found


def _longer_entries_can_match(settings: MatchSettings) -> bool:
    """Whether probing for entries one character longer than the read is worth it: such an
    entry scores at most `indel_likelihood` (an alternative of its length finds it by its
    own key), so below the verify threshold it never matches."""
    return bool(settings.max_edits) and settings.indel_likelihood >= settings.verify_threshold


def _extra_keys(reads: Sequence[PlateRead], min_p: float) -> tuple[U64, I64]:
    """Keys (and their read numbers) of the plates beyond each read's own: its alternatives,
    keyed for the whole batch at once, and its runner-up characters where it hesitated."""
    pairs = [
        (i, alt.plate)
        for i, read in enumerate(reads)
        if read.plate
        for alt in read.alternatives[:MAX_ALTERNATIVES]
    ]
    more = [
        (i, variant)
        for i in _hesitant(reads, min_p)
        if reads[i].plate
        for variant in choice_variants(reads[i], canonical(reads[i].plate), min_p)
    ]
    texts = [text for _, text in pairs] + [text for _, text in more]
    of = np.asarray([i for i, _ in pairs] + [i for i, _ in more], dtype=np.int64)
    keys, rows, _, _ = batch_keys(texts, edits=False)
    owners = of[rows] if len(of) else np.zeros(0, dtype=np.int64)
    # An alternative the batch could not key is not yet plain text: normalize it here.
    unkeyed = sorted(set(range(len(pairs))) - set(rows.tolist()))
    if unkeyed:
        fixed = [(pairs[k][0], _alternative_plate(pairs[k][1])) for k in unkeyed]
        fixed = [(i, text) for i, text in fixed if text]
        keys = np.concatenate([keys, np.array([int("1" + t, 36) for _, t in fixed], np.uint64)])
        owners = np.concatenate([owners, np.array([i for i, _ in fixed], np.int64)])
    return keys, owners


def _alternative_plate(text: str) -> str:
    """An alternative's canonical plate, or "" when it cannot be keyed."""
    canon = canonical("".join(c for c in text.upper() if c.isalnum()))
    return canon if 0 < len(canon) <= MAX_KEY_LENGTH and canon.isascii() else ""


def _hesitant(reads: Sequence[PlateRead], min_p: float) -> list[int]:
    """Reads with a runner-up character of at least min_p: one flat pass over every
    position of the batch instead of a call per read."""
    seconds = [p[1].p if len(p) > 1 else 0.0 for r in reads for p in r.char_choices]
    if not seconds:
        return []
    sizes = np.fromiter((len(r.char_choices) for r in reads), dtype=np.int64, count=len(reads))
    used = np.flatnonzero(sizes)
    top = np.maximum.reduceat(np.asarray(seconds), (np.cumsum(sizes) - sizes)[used])
    return used[top >= min_p].tolist()  # type: ignore[no-any-return]


def batch_probe(table: TableArrays, keys: U64, owners: I64) -> tuple[I64, I64]:
    """(owner, ordinal) of every stored row whose key is one of `keys`."""
    directory, stored, postings = table
    buckets = len(directory) - 1
    if buckets <= 0 or not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bucket = (keys % np.uint64(buckets)).astype(np.int64)
    lo = directory[bucket].astype(np.int64)
    size = directory[bucket + 1].astype(np.int64) - lo
    used = np.flatnonzero(size)
    lo, size, keys, owners = lo[used], size[used], keys[used], owners[used]
    # Every row of every probed bucket, compared with the key that probed it.
    total = int(size.sum())
    first = np.cumsum(size) - size
    row = np.arange(total, dtype=np.int64) + np.repeat(lo - first, size)
    hit = stored[row] == np.repeat(keys, size)
    return np.repeat(owners, size)[hit], postings[row[hit]].astype(np.int64)
