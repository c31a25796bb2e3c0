"""Understanding natural-language item queries without a language model.

"vegan food offers near me tonight under 20" becomes: text "vegan food", kind "offer",
labels vegan and food, a time window for tonight, a maximum price of 20 and "near me".
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from rapport.core.models import Schema

NEAR_KM = 5.0  # what "near me" means when no distance is given

_PRICE_MAX = re.compile(
    r"\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|<)\s*"
    r"(?:[$€£]\s*)?(\d+(?:[.,]\d+)?)\s*(?:[$€£]|eur(?:os?)?|usd|dollars?|pounds?)?",
    re.IGNORECASE,
)
_PRICE_MIN = re.compile(
    r"\b(?:over|above|more than|at least|min(?:imum)?|>)\s*(?:[$€£]\s*)?(\d+(?:[.,]\d+)?)"
    r"\s*(?:[$€£]|eur(?:os?)?|usd|dollars?|pounds?)?",
    re.IGNORECASE,
)
_FREE = re.compile(r"\bfree\b", re.IGNORECASE)
_WITHIN = re.compile(
    r"\bwithin\s+(\d+(?:[.,]\d+)?)\s*(km|kilomet(?:er|re)s?|m|meters?|metres?"
    r"|mi|miles?)\b",
    re.IGNORECASE,
)
_NEAR = re.compile(
    r"\b(near me|nearby|near here|around me|around here|close by|close to me"
    r"|close)\b",
    re.IGNORECASE,
)
_NOW = re.compile(r"\b(right now|open now|now|at the moment|currently)\b", re.IGNORECASE)
_WORD = re.compile(r"[\w'-]+")
_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "on",
        "at",
        "for",
        "to",
        "of",
        "me",
        "my",
        "i",
        "want",
        "find",
        "show",
        "any",
        "some",
        "with",
        "and",
        "or",
        "please",
        "looking",
        "what",
        "where",
        "is",
        "are",
        "there",
    ]
)
_WHEN = {
    "tonight": "tonight",
    "this evening": "tonight",
    "today": "today",
    "tomorrow night": "tomorrow night",
    "tomorrow evening": "tomorrow night",
    "tomorrow": "tomorrow",
    "this weekend": "weekend",
    "weekend": "weekend",
    "this week": "this week",
    "next week": "next week",
}


class ParsedQuery(Schema):
    """What was understood, and the text left to match."""

    text: str
    """The words left to match once filters were taken out."""
    kind: str | None = None
    """A kind named in the query ("offers")."""
    labels: list[str] = Field(default_factory=list)
    """Known categories or tags named in the query (they boost, they do not filter)."""
    min_price: float | None = None
    """From "over 20", "at least 20"."""
    max_price: float | None = None
    """From "under 20", "free"."""
    starts: datetime | None = None
    """Start of the time window asked for."""
    ends: datetime | None = None
    """End of the time window asked for."""
    active_now: bool = False
    """"now", "open now": only items on at the moment."""
    near_me: bool = False
    """"near me", "nearby", "within 2 km": a place is needed."""
    radius_km: float | None = None
    """The distance "near me" or "within" stands for."""
    understood: list[str] = Field(default_factory=list)
    """The phrases that became filters, for transparency."""


def parse_query(
    query: str, *, now: datetime, kinds: set[str], labels: set[str], timezone: str = "UTC"
) -> ParsedQuery:
    """Pull price, place, time, kind and known labels out of `query`."""
    rest = f" {query.strip()} "
    parsed = ParsedQuery(text="")
    zone = _zone(timezone)
    local_now = now.astimezone(zone)

    def take(pattern: re.Pattern[str]) -> re.Match[str] | None:
        nonlocal rest
        match = pattern.search(rest)
        if match:
            parsed.understood.append(match.group().strip())
            rest = rest[: match.start()] + " " + rest[match.end() :]
        return match

    if match := take(_PRICE_MAX):
        parsed.max_price = float(match.group(1).replace(",", "."))
    if match := take(_PRICE_MIN):
        parsed.min_price = float(match.group(1).replace(",", "."))
    if take(_FREE):
        parsed.max_price = 0.0
    if match := take(_WITHIN):
        parsed.radius_km = _kilometres(float(match.group(1).replace(",", ".")), match.group(2))
        parsed.near_me = True
    if take(_NEAR):
        parsed.near_me = True
        parsed.radius_km = parsed.radius_km or NEAR_KM
    for phrase, name in _WHEN.items():
        pattern = re.compile(rf"\b{phrase}\b", re.IGNORECASE)
        if take(pattern):
            parsed.starts, parsed.ends = _window(name, local_now)
            break
    else:
        if take(_NOW):
            parsed.active_now = True
        else:
            rest = _explicit_date(rest, local_now, parsed)
    words = [w for w in _WORD.findall(rest)]
    kept: list[str] = []
    known_kinds = {k.lower(): k for k in kinds}
    known_labels = {label.lower(): label for label in labels}
    for word in words:
        lower = word.lower()
        singular = lower[:-1] if lower.endswith("s") and len(lower) > 3 else lower
        if parsed.kind is None and (lower in known_kinds or singular in known_kinds):
            parsed.kind = known_kinds.get(lower) or known_kinds[singular]
            parsed.understood.append(word)
            continue
        label = known_labels.get(lower) or known_labels.get(singular)
        if label and label not in parsed.labels:
            parsed.labels.append(label)
        if lower not in _FILLER:
            kept.append(word)
    parsed.text = " ".join(kept)
    return parsed


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _kilometres(value: float, unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("mi"):
        return value * 1.609344
    if unit in {"m", "meter", "meters", "metre", "metres"}:
        return value / 1000
    return value


def _day(moment: datetime, at: time) -> datetime:
    return moment.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)


def _window(name: str, now: datetime) -> tuple[datetime, datetime]:
    """The span a time phrase means, in the user's timezone."""
    end_of_day = time(23, 59)
    if name == "tonight":
        return max(now, _day(now, time(18, 0))), _day(now, end_of_day)
    if name == "today":
        return now, _day(now, end_of_day)
    tomorrow = now + timedelta(days=1)
    if name == "tomorrow":
        return _day(tomorrow, time(0, 0)), _day(tomorrow, end_of_day)
    if name == "tomorrow night":
        return _day(tomorrow, time(18, 0)), _day(tomorrow, end_of_day)
    days_to_sunday = 6 - now.weekday()
    sunday = _day(now + timedelta(days=days_to_sunday), end_of_day)
    if name == "weekend":
        saturday = _day(now + timedelta(days=max(0, 5 - now.weekday())), time(0, 0))
        return max(now, saturday), sunday
    if name == "this week":
        return now, sunday
    monday = _day(now + timedelta(days=days_to_sunday + 1), time(0, 0))
    return monday, monday + timedelta(days=6, hours=23, minutes=59)


def _explicit_date(rest: str, now: datetime, parsed: ParsedQuery) -> str:
    """Dates like "on saturday" or "friday 8pm" (dateparser): the day, or three hours from
    a given time."""
    from dateparser.search import search_dates

    settings = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    found = search_dates(rest, languages=["en"], settings=settings)
    if not found:
        return rest
    phrase, moment = found[0]
    if len(phrase.strip()) < 3 or phrase.strip().isdigit():
        return rest  # a bare number is a price or a count, not a date
    moment = moment.replace(tzinfo=now.tzinfo)
    if moment.hour == 0 and moment.minute == 0:
        parsed.starts, parsed.ends = moment, _day(moment, time(23, 59))
    else:
        parsed.starts, parsed.ends = moment - timedelta(hours=1), moment + timedelta(hours=3)
    parsed.understood.append(phrase.strip())
    return rest.replace(phrase, " ", 1)
