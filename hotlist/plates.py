"""Plate text as the matcher sees it: OCR-equivalence classes, lookup keys and confusions.

Characters that plate fonts draw alike (0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G) share one
canonical character, so every OCR-equivalent spelling of a plate has the same key and one
hash probe finds them all. How *likely* each confusion is lives apart, in `confusion`:
equivalence says which entries are candidates, the likelihoods decide whether they alert.
"""

from __future__ import annotations

import re

from alpr.read import normalize_plate

__all__ = [
    "EQUIVALENCE_CLASSES",
    "MAX_KEY_LENGTH",
    "MAX_PLATE_LENGTH",
    "canonical",
    "confusion",
    "equivalent",
    "glyph_twins",
    "is_wildcard",
    "key_of",
    "normalize_entry_plate",
    "normalize_plate",
]

EQUIVALENCE_CLASSES: tuple[str, ...] = ("0ODQ", "1IL", "2Z", "5S", "8B", "6G")

_CANON = {ord(ch): cls[0] for cls in EQUIVALENCE_CLASSES for ch in cls[1:]}
# Longest plate an entry may hold: the longest plates issued anywhere run to 10 characters.
MAX_PLATE_LENGTH = 10
# Keys pack into an unsigned 64-bit integer: a leading 1 and up to 11 base-36 digits.
MAX_KEY_LENGTH = 11
WILDCARDS = frozenset("?*")
_ENTRY_ALLOWED = re.compile(r"[A-Z0-9?*]*")
_SEPARATORS = re.compile(r"[\s\-.·_/]")


def canonical(plate: str) -> str:
    """Map every character to its OCR-equivalence class representative."""
    return plate.translate(_CANON)


def key_of(canon: str) -> int:
    """The 64-bit lookup key of a canonical plate of at most MAX_KEY_LENGTH characters.

    `int(..., 36)` runs in C, and the leading 1 keeps "0A" and "A" apart; the index builder
    computes the same numbers with numpy.
    """
    return int("1" + canon, 36)


def is_wildcard(plate: str) -> bool:
    return "?" in plate or "*" in plate


def normalize_entry_plate(raw: str) -> str:
    """Upper-case and drop separators, keeping `?`/`*`; raise ValueError with the reason."""
    text = _SEPARATORS.sub("", raw.strip().upper())
    if not text:
        msg = "empty plate"
        raise ValueError(msg)
    if not _ENTRY_ALLOWED.fullmatch(text):
        bad = sorted({ch for ch in text if not _ENTRY_ALLOWED.fullmatch(ch)})
        msg = (
            f"plate {raw.strip()!r} has characters other than A-Z, 0-9, `?` and `*`: "
            f"{''.join(bad)!r}"
        )
        raise ValueError(msg)
    literal = sum(ch not in WILDCARDS for ch in text)
    if "*" not in text and len(text) > MAX_PLATE_LENGTH:
        msg = f"plate too long ({len(text)} characters; at most {MAX_PLATE_LENGTH})"
        raise ValueError(msg)
    if literal > MAX_PLATE_LENGTH:
        msg = f"plate too long ({literal} characters; at most {MAX_PLATE_LENGTH})"
        raise ValueError(msg)
    if is_wildcard(text) and literal < 3:
        msg = (
            f"wildcard plate {text!r} has {literal} known characters; at least 3 are needed "
            "or it would match almost every car"
        )
        raise ValueError(msg)
    return text


# How likely a reader that got character `a` wrong read it instead of the true `b`,
# P(true=b | read=a, read wrong). Pairs inside an equivalence class dominate; the other pairs
# are the common confusions of plate fonts (7/1, 7/T, 4/A, 3/8, M/N, U/V, ...).
_PAIR_WEIGHTS: dict[tuple[str, str], float] = {
    ("0", "O"): 0.45,
    ("0", "D"): 0.20,
    ("0", "Q"): 0.10,
    ("O", "D"): 0.30,
    ("O", "Q"): 0.20,
    ("D", "Q"): 0.05,
    ("1", "I"): 0.45,
    ("1", "L"): 0.15,
    ("I", "L"): 0.20,
    ("2", "Z"): 0.40,
    ("5", "S"): 0.40,
    ("8", "B"): 0.40,
    ("6", "G"): 0.30,
    ("1", "7"): 0.10,
    ("7", "T"): 0.08,
    ("4", "A"): 0.08,
    ("3", "8"): 0.06,
    ("3", "B"): 0.04,
    ("M", "N"): 0.08,
    ("H", "N"): 0.05,
    ("U", "V"): 0.08,
    ("V", "Y"): 0.05,
    ("K", "X"): 0.05,
    ("C", "G"): 0.05,
    ("E", "F"): 0.05,
    ("P", "R"): 0.05,
    ("6", "B"): 0.04,
    ("9", "G"): 0.03,
    ("0", "U"): 0.03,
    ("2", "7"): 0.02,
    ("W", "M"): 0.03,
    ("J", "U"): 0.03,
}
# Any other substitution: rare, and spread over the 35 other characters.
GENERIC_CONFUSION = 0.004
_CONFUSION: dict[tuple[str, str], float] = {}
for (_a, _b), _w in _PAIR_WEIGHTS.items():
    _CONFUSION[(_a, _b)] = _w
    _CONFUSION[(_b, _a)] = _w


def confusion(read_char: str, true_char: str) -> float:
    """P(true=true_char | read=read_char, the read was wrong at this position)."""
    return _CONFUSION.get((read_char, true_char), GENERIC_CONFUSION)


def equivalent(a: str, b: str) -> bool:
    return canonical(a) == canonical(b)


def glyph_twins(a: str, b: str) -> bool:
    """A letter and a digit that plate fonts draw alike (0/O, 1/I, 8/B, ...): only the
    position's role in the plate's format tells them apart, not their shape."""
    return a.isdigit() != b.isdigit() and canonical(a) == canonical(b)


def shape(plate: str) -> str:
    """Letters as L, digits as D: the format of a plate without its characters."""
    return "".join("D" if ch.isdigit() else "L" for ch in plate)


def normalize_read_plate(text: str) -> str:
    return normalize_plate(text)
