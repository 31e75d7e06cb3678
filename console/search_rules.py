"""What a search must say about itself: a real case number and a real reason.

Every search is justified by a case number and a reason, which auditors read later; a search
"for case n/a because asdf" justifies nothing. The rules here are deliberately few and
explainable, and every refusal says which rule the text broke and what to write instead.

Case numbers (`check_case_number`, for every agency, then `check_case_format` for the agency):
  1. required, at most 64 characters;
  2. not a stock placeholder (`n/a`, `none`, `test`, `tbd`, `unknown`, ...), with or without
     punctuation, nor a placeholder word with digits (`TEST-1`, `NA-0`);
  3. at least one digit;
  4. not one character repeated (`0000`, `XXXX`), not only zeros for digits (`CR-0000`) and
     not a run of digits such as `1234` or `987654`;
  5. in the agency's format: `console.case_number_patterns[<agency slug>]`, or else
     `console.case_number_pattern`, matched case-insensitively against the whole number.

Reasons (`check_reason`), after runs of whitespace become one space; a word is a run of letters:
  1. some words, not only digits and punctuation (`...`, `1234567890`);
  2. not one character repeated (`aaaaaaaaaa`, `x x x x x`);
  3. not a stock placeholder (`test`, `n/a`, `tbd`, `asdf`, `lorem ipsum`): some word must be
     other than such filler;
  4. no keyboard mash: a word (a token of letters alone) of 4 or more letters that is a run
     of neighbouring keys or of the alphabet (`asdf`, `qwerty`, `hjkl`, `abcd`), a short
     chunk repeated (`asdfasdf`, `hahaha`), or 5 or more letters without a vowel (`sdfghk`);
  5. at least 10 characters;
  6. at least 3 different letters;
  7. at least 2 different real words: 2 or more letters, with a vowel, not filler.
"""

from __future__ import annotations

import re
import unicodedata

MIN_REASON = 10
MAX_CASE_NUMBER = 64
EXAMPLE_CASE = "2025-004211"
REASON_HINT = "say why you need this search, e.g. 'stolen vehicle report 24-1183, suspect car'"
CASE_HINT = f"give the number of the case this search is for, e.g. {EXAMPLE_CASE}"

# Whole case numbers that stand for "no case"; the second set also as the letters of one that
# has digits (`TEST-1`), where short prefixes such as `NA` may be an agency's own.
_PLACEHOLDER_CASES = frozenset(
    {
        "na", "none", "null", "nil", "nocase", "test", "testing", "tbd", "tba", "unknown",
        "pending", "temp", "tmp", "dummy", "sample", "example", "fake", "casenumber", "xxx",
        "asdf", "foo", "placeholder",
    }
)  # fmt: skip
_PLACEHOLDER_PREFIXES = frozenset(
    {
        "test", "testing", "tbd", "none", "null", "unknown", "dummy", "sample", "example",
        "fake", "nocase", "casenumber", "xxx", "asdf", "placeholder",
    }
)  # fmt: skip
_FILLER_WORDS = _PLACEHOLDER_CASES | {
    "a", "n", "tests", "tested", "todo", "blah", "bar", "baz", "lorem", "ipsum", "dolor",
    "whatever", "stuff", "something", "reason", "reasons", "search", "searching", "check",
    "checking", "idk", "nothing", "same", "see", "above", "ok", "okay", "qwerty", "random",
    "just",
}  # fmt: skip
_KEY_RUNS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_VOWELS = frozenset("aeiouy")
_WORD = re.compile(r"[^\W\d_]+")
_DIGITS = "01234567890"
_PUNCTUATION = ".,;:!?()[]{}\"'-/"


def _letters_only(word: str) -> str:
    """Lower case without accents, so `é` counts as the vowel `e`."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _squeezed(text: str) -> str:
    """Lower-case letters and digits only: `N/A` and `n.a.` both become `na`."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _is_key_run(word: str) -> bool:
    return len(word) >= 4 and any(word in row or word in row[::-1] for row in _KEY_RUNS)


def _repeated_chunk(word: str) -> str | None:
    """The chunk a word of 6+ letters repeats (`asdfasdf` -> `asdf`), if it is one."""
    if len(word) < 6:
        return None
    for size in range(1, 5):
        chunk = word[:size]
        if len(word) % size == 0 and chunk * (len(word) // size) == word:
            return chunk
    return None


def _mash(word: str) -> str | None:
    """Why a word looks like a keyboard mash, or None."""
    if _is_key_run(word):
        return f"{word!r} is a run of keys, not a word"
    chunk = _repeated_chunk(word)
    if chunk is not None:
        return f"{word!r} repeats {chunk!r}"
    if len(word) >= 5 and not _VOWELS & set(word):
        return f"{word!r} has no vowels"
    return None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _reason_problem(text: str, words: list[str]) -> str | None:
    """Which rule a whitespace-normalised reason breaks, or None."""
    squeezed = _squeezed(text)
    if not words:
        return "it has no words, only digits and punctuation"
    if len(set(squeezed)) == 1:
        return "it is one character repeated"
    if squeezed in _FILLER_WORDS or all(w in _FILLER_WORDS for w in words):
        return "it is filler, not a reason"
    # Only tokens of letters alone: `7ABCD12` is a plate, not the alphabet.
    for token in text.split():
        word = _letters_only(token.strip(_PUNCTUATION))
        why = _mash(word) if word.isalpha() else None
        if why is not None:
            return why
    return None


def check_reason(value: str) -> str:
    """The reason with its whitespace normalised; ValueError says which rule it broke."""
    text = " ".join(value.split())
    words = [_letters_only(w) for w in _WORD.findall(text)]
    problem = _reason_problem(text, words)
    if problem is not None:
        msg = f"reason {_shown(text)} looks like a placeholder ({problem}): {REASON_HINT}"
        raise ValueError(msg)
    if len(text) < MIN_REASON:
        msg = f"state the reason for the search in at least {MIN_REASON} characters: {REASON_HINT}"
        raise ValueError(msg)
    if len(set("".join(words))) < 3:
        msg = f"reason {_shown(text)} uses fewer than 3 different letters: {REASON_HINT}"
        raise ValueError(msg)
    real = {w for w in words if len(w) >= 2 and _VOWELS & set(w) and w not in _FILLER_WORDS}
    if len(real) < 2:
        msg = f"reason {_shown(text)} needs at least two real words: {REASON_HINT}"
        raise ValueError(msg)
    return text


def _case_problem(value: str) -> str | None:
    """Which agency-independent rule a case number breaks, or None."""
    squeezed = _squeezed(value)
    letters = "".join(ch for ch in squeezed if ch.isalpha())
    digits = "".join(ch for ch in squeezed if ch.isdigit())
    if squeezed in _PLACEHOLDER_CASES or letters in _PLACEHOLDER_PREFIXES:
        return "is a placeholder, not a case number"
    if not digits:
        return "has no digits"
    if len(set(squeezed)) == 1:
        return "is one character repeated"
    if set(digits) == {"0"}:
        return "has only zeros for digits"
    if squeezed == digits and len(digits) >= 4 and (digits in _DIGITS or digits in _DIGITS[::-1]):
        return "is a run of digits"
    return None


def check_case_number(value: str) -> str:
    """The case number, stripped, if it passes the rules every agency shares (1-4 above)."""
    value = value.strip()
    if not value:
        msg = f"a case number is required for every search: {CASE_HINT}"
        raise ValueError(msg)
    if len(value) > MAX_CASE_NUMBER:
        msg = f"the case number is {len(value)} characters long; at most {MAX_CASE_NUMBER}"
        raise ValueError(msg)
    problem = _case_problem(value)
    if problem is not None:
        msg = f"case number {_shown(value)} {problem}: {CASE_HINT}"
        raise ValueError(msg)
    return value


def check_case_format(value: str, pattern: str, agency: str) -> None:
    """Whether the case number is in the agency's format (rule 5); ValueError if not."""
    if re.fullmatch(pattern, value, flags=re.IGNORECASE) is None:
        msg = (
            f"case_number: {_shown(value)} is not in the form {agency}'s case numbers take "
            f"(pattern {pattern}); give it as it is on the case file, e.g. {EXAMPLE_CASE}"
        )
        raise ValueError(msg)


def agency_slug(name: str) -> str:
    """The key of an agency in `console.case_number_patterns`: `Metro PD` -> `metro-pd`."""
    return re.sub(r"[^a-z0-9]+", "-", _letters_only(name)).strip("-")
