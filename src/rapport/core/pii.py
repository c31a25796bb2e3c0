"""Personal data found in free text and replaced by placeholders, before the text leaves
for a language model (the gateway) or is written to a log (the structlog processor).

Emails by pattern; phone numbers by Google's libphonenumber (`phonenumbers`), so only
numbers that are valid somewhere are taken; card numbers by the Luhn checksum and IBANs by
their ISO 13616 check digits (`python-stdnum`), so order numbers and dates stay; street
addresses by a house number next to a street word (English, German, French, Spanish forms).
It lives in `core` because the gateway and logging, both core, use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import phonenumbers
from stdnum import iban, luhn

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# 13-19 digits, optionally grouped by spaces or dashes (how cards are written).
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Two letters, two check digits, then 10-30 letters or digits, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{1,4}){3,8}\b")
_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|way|court|ct|place|pl|"
    r"square|sq|terrace|crescent|close|parkway|highway|hwy"
)
_ADDRESS = re.compile(
    # 221B Baker Street, 1600 Pennsylvania Ave NW, 12 rue de la Paix
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:(?:[A-Z][\w'.-]*|de|la|del|of|the)\s+){{0,4}}"
    rf"(?:(?:{_STREET_WORDS})\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    r"|(?:rue|calle|avenida|via|chemin)\s+(?:\w+\s+){0,4}\w+)"
    # Hauptstraße 5, Am Markt-Weg 12a, Calle Mayor 3
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:stra(?:ß|ss)e|str\.|weg|platz|allee|gasse|ring|damm|ufer)"
    r"\s+\d{1,4}[a-z]?\b"
    r"|\b(?:Calle|Rue|Via|Avenida)\s+(?:[\wÀ-ÿ'-]+\s+){1,4}\d{1,4}\b",
    re.IGNORECASE,
)
# Regions whose national (no +country) phone formats are also looked for.
_PHONE_REGIONS = ("US", "GB", "DE", "FR")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in a text."""

    kind: str
    """`email`, `phone`, `card`, `iban` or `address`."""
    start: int
    end: int


def find_pii(text: str) -> list[Finding]:
    """Every piece of personal data found, earliest first, overlaps merged to the first."""
    found = sorted(_candidates(text), key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for finding in found:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


def redact(text: str) -> str:
    """`text` with each piece of personal data replaced by `[EMAIL]`, `[PHONE]`, `[CARD]`,
    `[IBAN]` or `[ADDRESS]`."""
    if not text:
        return text
    parts, last = [], 0
    for finding in find_pii(text):
        parts.append(text[last : finding.start])
        parts.append(f"[{finding.kind.upper()}]")
        last = finding.end
    parts.append(text[last:])
    return "".join(parts)


def redact_value(value: Any) -> Any:
    """Strings redacted inside nested dicts, lists and tuples; other values as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item) for item in value)
    return value


def redact_message_content(content: Any) -> Any:
    """A chat message's `content`: a string, or a list of parts whose `text` parts are
    redacted (images and other parts pass untouched)."""
    if isinstance(content, str):
        return redact(content)
    if isinstance(content, list):
        return [
            {**part, "text": redact(part["text"])}
            if isinstance(part, dict) and isinstance(part.get("text"), str)
            else part
            for part in content
        ]
    return content


def redact_log_event(_: Any, __: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor: no personal data in any logged field."""
    return {key: redact_value(value) for key, value in event.items()}


def _candidates(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding("email", match.start(), match.end())
    for match in _IBAN.finditer(text):
        candidate = match.group()
        while candidate:  # a trailing word in capitals may have been taken along
            if iban.is_valid(candidate):
                yield Finding("iban", match.start(), match.start() + len(candidate))
                break
            candidate = candidate.rpartition(" ")[0]
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(set(digits)) > 1 and luhn.is_valid(digits):
            yield Finding("card", match.start(), match.end())
    seen: set[tuple[int, int]] = set()
    for region in _PHONE_REGIONS:
        for number in phonenumbers.PhoneNumberMatcher(text, region):
            span = (number.start, number.end)
            if span not in seen and phonenumbers.is_valid_number(number.number):
                seen.add(span)
                yield Finding("phone", *span)
    for match in _ADDRESS.finditer(text):
        yield Finding("address", match.start(), match.end())
