"""Where a plate was issued, for the state check.

A hotlist entry's `state` is a two-letter US state or Canadian province code (NCIC style:
CA is California) or a three-letter ISO 3166 country code (BRA, SVK). A read's `region`
comes from a model and names a country (`us`, `BR`, `Brazil`), a group (`eu`) or a
subdivision (`US-CA`). A read and an entry disagree only when both are known and the read's
region cannot contain the entry's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry

__all__ = ["Region", "region_of_read", "state_code", "states_conflict"]

# Members of the EU and EEA, the UK, Switzerland and the Balkans: what an `eu` plate head means.
_EUROPE = frozenset(
    [
        "ALB",
        "AND",
        "AUT",
        "BEL",
        "BGR",
        "BIH",
        "BLR",
        "CHE",
        "CYP",
        "CZE",
        "DEU",
        "DNK",
        "ESP",
        "EST",
        "FIN",
        "FRA",
        "GBR",
        "GRC",
        "HRV",
        "HUN",
        "IRL",
        "ISL",
        "ITA",
        "LIE",
        "LTU",
        "LUX",
        "LVA",
        "MCO",
        "MDA",
        "MKD",
        "MLT",
        "MNE",
        "NLD",
        "NOR",
        "POL",
        "PRT",
        "ROU",
        "SMR",
        "SRB",
        "SVK",
        "SVN",
        "SWE",
        "UKR",
        "VAT",
        "XKX",
    ]
)
_GROUPS = {"EU": _EUROPE, "EUR": _EUROPE, "EUROPE": _EUROPE}


@cache
def _subdivisions() -> dict[str, str]:
    """Two-letter US and Canadian subdivision codes to their country."""
    codes: dict[str, str] = {}
    for country, alpha3 in (("US", "USA"), ("CA", "CAN")):
        for sub in pycountry.subdivisions.get(country_code=country) or ():  # type: ignore[no-untyped-call]
            codes[sub.code.split("-", 1)[1]] = alpha3
    return codes


@cache
def _alpha3() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries)


def state_code(raw: str) -> str | None:
    """Normalize an entry's state; None if empty. Raise ValueError if it is not a known code."""
    code = raw.strip().upper()
    if not code:
        return None
    if len(code) == 2 and code in _subdivisions():
        return code
    if len(code) == 3 and code in _alpha3():
        return code
    msg = (
        f"unknown state code {raw.strip()!r}: use a US state or Canadian province code "
        "(CA, NY, ON) or a three-letter ISO country code (BRA, SVK, DEU)"
    )
    raise ValueError(msg)


@dataclass(frozen=True)
class Region:
    """Countries a read's region allows, and the subdivision when the model named one."""

    countries: frozenset[str]
    subdivision: str | None = None


def _country(code: str) -> str | None:
    try:
        country = pycountry.countries.lookup(code)
    except LookupError:
        return None
    return str(country.alpha_3)


@cache
def region_of_read(region: str | None) -> Region | None:
    """What a read's region says, or None when it is missing or not understood."""
    if not region or not region.strip():
        return None
    text = region.strip().upper().replace("_", "-")
    if text in _GROUPS:
        return Region(_GROUPS[text])
    if "-" in text:
        country_part, sub = text.split("-", 1)
        country = _country(country_part)
        return Region(frozenset({country}), sub) if country else None
    country = _country(text)
    return Region(frozenset({country})) if country else None


def _country_of_state(state: str) -> str:
    return _subdivisions().get(state, state)


def states_conflict(read_region: str | None, entry_state: str | None) -> bool:
    """True when the read's known region cannot be where the entry's plate was issued."""
    if entry_state is None:
        return False
    region = region_of_read(read_region)
    if region is None:
        return False
    if _country_of_state(entry_state) not in region.countries:
        return True
    return (
        region.subdivision is not None
        and len(entry_state) == 2
        and (region.subdivision != entry_state)
    )
