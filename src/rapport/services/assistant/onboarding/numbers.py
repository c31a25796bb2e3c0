"""Hours per week from what people say: "two or three evenings of an hour", "about 5h a
week", "half an hour a day", "an hour every weekday and 3 on Saturday".

Number words become digits first (`text2num`), then a few idioms ("half an hour", "a
couple", "twice"); each part of the answer that names a duration is multiplied by how often
it happens (a count like "3 evenings", or a period like "a day", "weekdays", "a month") and
the parts are added up.
"""

from __future__ import annotations

import contextlib
import re

from text_to_num import alpha2digit

NUM = r"\d+(?:\.\d+)?"

# Idioms text2num leaves as words; order matters (longer first).
_IDIOMS: list[tuple[str, str]] = [
    (r"½", " .5"),
    (r"\ban? hour and an? half\b", "1.5 hours"),
    (r"\bhalf an? hour\b|\bhalf-hour\b|\bhalf hour\b", "0.5 hours"),
    (r"\ban? quarter of an? hour\b|\bquarter hour\b", "0.25 hours"),
    (r"\bthree quarters of an? hour\b", "0.75 hours"),
    (r"\ban? (?:couple|pair) of\b|\ba couple\b", "2"),
    (r"\ban? few\b|\bseveral\b|\bsome\b(?= (?:hours|evenings|days|nights|mornings))", "3"),
    (r"\ban? dozen\b", "12"),
    (r"\bonce\b", "1 times"),
    (r"\btwice\b", "2 times"),
    (r"\bthrice\b", "3 times"),
    (r"\ban? (?=hours?\b|h\b|hrs?\b)", "1 "),
    (r"\bone\b", "1"),
    (r"\bhalf\b(?= (?:a|an|the|per|every|each) (?:day|week|evening))", "0.5 hours"),
]
_UNITS: list[tuple[str, str]] = [
    (rf"({NUM})\s*(?:hours?|hrs?|h)\b", r"\1 hours"),
    (rf"({NUM})\s*(?:minutes?|mins?|m)\b", r"\1 minutes"),
]
_RANGE = re.compile(
    rf"(?:\bbetween\s+({NUM})\s*(hours|minutes)?\s*and"
    rf"|({NUM})\s*(hours|minutes)?\s*(?:-|\u2013|to|or|/))\s*({NUM})(?=\s|$|[^\d])"
)

# How many times a period holds per week.
_PERIODS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"\b(?:a|per|each|every|a single)\s+(?:week\s?day|work\s?day)\b"), 5.0),
    (re.compile(r"\b(?:on\s+)?(?:week\s?days|work\s?days|weekday \w+s)\b|\bmon\w* to fri\w*"), 5.0),
    (re.compile(r"\bweekend days\b|\bboth days of the weekend\b|\bsat\w* and sun\w*"), 2.0),
    (re.compile(r"\b(?:a|per|each|every)\s+(?:month)\b|\bmonthly\b"), 12 / 52),
    (
        re.compile(
            r"\b(?:a|per|each|every|an?|most)\s+(?:day|night|evening|morning|afternoon)s?\b"
            r"|\bdaily\b|\bnightly\b|\beveryday\b|\bday\s*to\s*day\b"
        ),
        7.0,
    ),
]
_WEEKLY = re.compile(
    r"\b(?:a|per|each|every|the|on|at)\s+week(?:end)?s?\b|\bweekly\b|/\s*w(?:ee)?k"
)
# Occasions counted in a sentence ("3 evenings"), with how long one lasts when no duration
# is given.
_COUNT = re.compile(
    rf"({NUM})\s+(?:\w+\s+)?(times|evenings?|nights?|mornings?|afternoons?|days?|sessions?|"
    r"lunch(?:es| breaks?)?|classes|lessons|weekends?|slots?)\b"
)
_OCCASION_HOURS = {
    "evening": 2.0, "night": 2.0, "morning": 2.0, "afternoon": 3.0, "day": 3.0,
    "session": 1.5, "lunch": 0.5, "class": 1.5, "lesson": 1.0, "weekend": 4.0, "slot": 1.0,
    "time": 1.0,
}  # fmt: skip
_DURATION = re.compile(rf"({NUM})\s+(hours|minutes)\b")
_BARE = re.compile(rf"(?<![\w.])({NUM})(?![\w.])")
_SPLIT = re.compile(r",|;|\band\b|\bplus\b|\+|\balso\b|\bthen\b|\bwhile\b|\bbut\b")
_FULL_TIME = re.compile(r"\bfull[- ]time\b")
_PART_TIME = re.compile(r"\bpart[- ]time\b")


def normalise(text: str) -> str:
    """Lower case, number words as digits, idioms and units spelled one way."""
    text = " " + text.lower().replace("\u2019", "'") + " "
    text = re.sub(r"(\d),(\d)", r"\1.\2", text)  # "1,5 hours" (decimal comma)
    text = re.sub(r"[^\w\s.,;:/+½\u2013-]", " ", text)
    # "forty-five" is one number; other hyphens separate ("3-4", "two-three").
    text = re.sub(
        r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(?=[a-z])", r"\1 ", text
    )
    text = re.sub(r"-", " - ", text)
    with contextlib.suppress(Exception):  # text2num refuses some inputs; idioms still apply
        text = alpha2digit(text, "en", threshold=0)
    for pattern, replacement in _IDIOMS:
        text = re.sub(pattern, replacement, text)
    text = re.sub(rf"({NUM}) and (?:an? )?half\b", lambda m: str(float(m.group(1)) + 0.5), text)
    text = re.sub(
        r"\b(\d+)\s*h(?:ours?|rs?)?\s*(?:and\s*)?(\d+)\s*m(?:in(?:ute)?s?)?\b",
        lambda m: f"{int(m.group(1)) + int(m.group(2)) / 60:.4g} hours",
        text,
    )
    text = re.sub(
        r"\b(\d+)h(\d{2})\b", lambda m: f"{int(m.group(1)) + int(m.group(2)) / 60:.4g} hours", text
    )
    text = re.sub(
        r"(\d+):(\d{2})\s*h", lambda m: f"{int(m.group(1)) + int(m.group(2)) / 60:.4g} hours", text
    )
    for pattern, replacement in _UNITS:
        text = re.sub(pattern, replacement, text)
    text = _RANGE.sub(_mean_of_range, text)
    return re.sub(r"\s+", " ", text).strip()


def _mean_of_range(match: re.Match[str]) -> str:
    low = float(match.group(1) or match.group(3))
    unit = match.group(2) or match.group(4)
    high = float(match.group(5))
    if high < low or high > 10 * max(low, 1):
        return match.group(0)  # "1 to 20" is probably not a range of one quantity
    mean = (low + high) / 2
    return f"{mean:g} {unit}" if unit else f"{mean:g}"


def hours_per_week(text: str) -> float | None:
    """Weekly hours described by `text`, or None when it names no amount of time."""
    norm = normalise(text)
    if _FULL_TIME.search(norm):
        return 40.0
    if _PART_TIME.search(norm) and not _DURATION.search(norm):
        return 20.0
    parts = [p for p in _SPLIT.split(norm) if p.strip()]
    if any(_DURATION.search(p) for p in parts):
        # "an hour every weekday and 3 on Saturday": a bare number takes the unit named before.
        parts = [
            _BARE.sub(r"\1 hours", p, count=1)
            if not _DURATION.search(p) and _COUNT.search(p) is None
            else p
            for p in parts
        ]
    total = 0.0
    found = False
    carried: tuple[float | None, float | None] = (None, None)  # (count, period) awaiting
    timed = [bool(_DURATION.search(p)) for p in parts]
    if sum(timed) <= 1:
        parts, timed = [norm], [bool(_DURATION.search(norm))]
    for part, has_duration in zip(parts, timed, strict=True):
        count, unit_hours = _count(part)
        period = _period(part, counted=count is not None)
        if not has_duration:
            if count is not None or period is not None:
                carried = (count, period)
            continue
        if count is None and period is None:
            count, period = carried
        total += _duration(part) * (count or 1.0) * (period or 1.0)
        found = True
    if found:
        return round(total, 2)
    # No duration named: occasions ("two evenings a week"), else a bare number of hours.
    count, unit_hours = _count(norm)
    if count is not None:
        period = _period(norm, counted=True)
        return round(count * unit_hours * (period or 1.0), 2)
    bare = _BARE.search(norm)
    if bare:
        value = float(bare.group(1))
        period = _period(norm, counted=False)
        if value <= 168:
            return round(value * (period or 1.0), 2)
    return None


def _duration(part: str) -> float:
    """Hours of the first duration in `part` (each occasion's length)."""
    match = _DURATION.search(part)
    assert match is not None
    value = float(match.group(1))
    return value / 60 if match.group(2) == "minutes" else value


def _count(part: str) -> tuple[float | None, float]:
    """How many occasions `part` counts, and how long one usually lasts."""
    match = _COUNT.search(part)
    if match is None:
        return None, 1.0
    unit = match.group(2)
    key = next((k for k in _OCCASION_HOURS if unit.startswith(k)), "time")
    return float(match.group(1)), _OCCASION_HOURS[key]


def _period(part: str, *, counted: bool) -> float | None:
    """Times per week of the period `part` names ("a day": 7), None when it names none.
    With a count ("3 days a week, 2 hours a day") the count already says how often."""
    for pattern, per_week in _PERIODS:
        if pattern.search(part):
            if counted and per_week == 7.0:
                return None
            if counted and per_week != 12 / 52:
                return None
            return per_week
    if _WEEKLY.search(part):
        return 1.0
    return None
