"""Domain models: the one vocabulary used by the store, services and every interface."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

T = TypeVar("T")

# Ids and labels are keys, file names and log fields: no control characters (NUL also
# breaks PostgreSQL text). Free text may hold tabs and newlines but never NUL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Id = Annotated[
    str,
    Field(min_length=1, max_length=256, json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f]+$"}),
    AfterValidator(no_control),
]
Label = Annotated[str, AfterValidator(no_control)]
"""A tag, category, kind or other short label."""
Text = Annotated[str, AfterValidator(no_nul)]
"""Free text."""


def json_safe(value: Any, path: str = "") -> Any:
    """Reject what JSON and the stores cannot hold faithfully: NaN and infinite numbers
    (they would be stored as null) and NUL characters, anywhere in nested data."""
    where = f" at '{path}'" if path else ""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number{where}")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"NUL character{where}")
    elif isinstance(value, dict):
        for key, item in value.items():
            json_safe(str(key), path)
            json_safe(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            json_safe(item, f"{path}[{position}]")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(json_safe)]
"""Free-form JSON data: finite numbers and text without NUL characters."""

# Times the store and the date arithmetic of search and recommendations handle everywhere:
# from the Unix epoch to a year before datetime's limit (room for "next week" and offsets).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
_TIME_RANGE = "must be between 1970-01-01 and 9999-01-01 (UTC)"


def to_utc(value: Any) -> Any:
    """Accept ISO 8601 strings, epoch seconds and datetimes; naive times are UTC. Times
    outside 1970..9998 (after applying their offset) are rejected."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            value = _from_iso(text)
        else:
            return _from_epoch(seconds)
    if isinstance(value, datetime):
        try:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError(_TIME_RANGE) from exc
        if not EARLIEST <= value < LATEST:
            raise ValueError(_TIME_RANGE)
    return value


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds) or not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        raise ValueError(f"epoch seconds {_TIME_RANGE}")
    return datetime.fromtimestamp(seconds, tz=UTC)


def _from_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time or epoch seconds: {exc}") from exc


Timestamp = Annotated[datetime, BeforeValidator(to_utc)]


def time_zone(name: str) -> str:
    """An IANA time zone name that this machine's zone database knows."""
    try:
        ZoneInfo(no_control(name))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        message = f"unknown time zone {name!r}: use an IANA name like Europe/Lisbon"
        raise ValueError(message) from exc
    return name


TimeZone = Annotated[str, AfterValidator(time_zone)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Strict(BaseModel):
    """Base for input models: unknown fields are errors, so typos never pass silently."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,  # NaN and infinity would be stored as null
    )


class Schema(BaseModel):
    """Base for results: the same object leaves through the library, REST and CLI `--json`.
    Field docstrings are the API documentation."""

    model_config = ConfigDict(use_attribute_docstrings=True, ser_json_inf_nan="strings")


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    """Latitude in degrees."""
    lon: float = Field(ge=-180, le=180)
    """Longitude in degrees."""


class Skill(Strict):
    name: Text = Field(min_length=1)
    """What the skill is about ("python", "guitar")."""
    level: Literal["beginner", "intermediate", "advanced", "expert"] = "beginner"
    """beginner, intermediate, advanced or expert."""


class Profile(BaseModel):
    """What the engine knows about a person; extra keys are kept for the platform."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True, allow_inf_nan=False)

    interests: list[Text] = Field(default_factory=list)
    """Everything the recommender treats as stated interests, free text labels (passions
    included)."""
    passions: list[Text] = Field(default_factory=list)
    """What the person said they are passionate about (onboarding); also in `interests`."""
    skills: list[Skill] = Field(default_factory=list)
    """Skills with their levels."""
    goals: list[Text] = Field(default_factory=list)
    """What the person wants to reach, free text."""
    hours_per_week: float | None = Field(default=None, ge=0, le=168)
    """Time commitment."""
    learning_style: Text | None = None
    """How they prefer to learn: visual, reading, hands_on, auditory, social..."""
    communication_style: Text | None = None
    """How they like to be spoken to (brief, warm, formal...)."""

    @model_validator(mode="before")
    @classmethod
    def _accept_passions(cls, data: Any) -> Any:
        # Seed 000 calls interests "passions": given alone, they are the interests too.
        if isinstance(data, dict) and "passions" in data and "interests" not in data:
            data = dict(data)
            data["interests"] = list(data["passions"] or [])
        return data

    @model_validator(mode="after")
    def _extras_are_json(self) -> Profile:
        json_safe(self.model_extra or {})
        return self

    def embedding_text(self) -> str:
        """The text that represents the whole profile in vector space: passions and
        interests, skills with levels, goals and learning style."""
        interests = list(dict.fromkeys([*self.passions, *self.interests]))
        parts = []
        if interests:
            parts.append("Passions and interests: " + ", ".join(interests))
        if self.skills:
            parts.append("Skills: " + ", ".join(f"{s.name} ({s.level})" for s in self.skills))
        if self.goals:
            parts.append("Goals: " + "; ".join(self.goals))
        if self.learning_style:
            parts.append("Learns best: " + self.learning_style.replace("_", "-"))
        return ". ".join(parts)

    def says_more_than_interests(self) -> bool:
        """Whether skills, goals or a learning style add to the stated interests."""
        return bool(self.skills or self.goals or self.learning_style)


class User(Strict):
    id: Id
    """Unique per tenant."""
    profile: Profile = Field(default_factory=Profile)
    """What the engine knows about the person."""
    timezone: TimeZone = "UTC"
    """IANA time zone name, for times shown and quiet hours."""
    location: Location | None = None
    """Where the user usually is."""
    consent: bool = True
    """The user agreed to personalised processing of their data."""
    ai_opt_out: bool = False
    """The user opted out of AI features (generation, automated actions)."""
    created_at: Timestamp | None = None
    """Set by the store on first write."""
    updated_at: Timestamp | None = None
    """Set by the store on every write."""


class Item(Strict):
    id: Id
    """Unique per tenant."""
    kind: Label = Field(default="item", min_length=1, max_length=64)
    """Free label: opportunity, mentor, course, movie, event, offer, service, post..."""
    title: Text = ""
    """Shown in lists and embedded with the text."""
    text: Text = ""
    """Description, embedded for similarity and search."""
    tags: list[Label] = Field(default_factory=list)
    """Free labels; in CSV `a|b|c`."""
    categories: list[Label] = Field(default_factory=list)
    """Broader labels used for filters, diversity and insights."""
    attributes: JsonObject = Field(default_factory=dict)
    """Anything else: director, cast, year, difficulty, hourly rate..."""
    location: Location | None = None
    """Where it takes place or is offered."""
    starts_at: Timestamp | None = None
    """Start of its time window (events, offers)."""
    ends_at: Timestamp | None = None
    """End of its time window; expired items are never recommended."""
    price: float | None = Field(default=None, ge=0)
    """Current price."""
    original_price: float | None = Field(default=None, ge=0)
    """Price before a discount: recommendations favour real discounts."""
    active: bool = True
    """Inactive items stay stored but are not returned unless asked for."""
    created_at: Timestamp | None = None
    """Set by the store on first write, kept on updates."""
    updated_at: Timestamp | None = None
    """Set by the store on every write."""

    @field_validator("tags", "categories", mode="before")
    @classmethod
    def _split_labels(cls, value: Any) -> Any:
        # CSV files carry lists as "a|b|c" (MovieLens style) or "a,b,c".
        if isinstance(value, str):
            sep = "|" if "|" in value else ","
            return [part.strip() for part in value.split(sep) if part.strip()]
        return value

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Item:
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self

    def embedding_text(self) -> str:
        """The text that represents this item in vector space."""
        parts = [self.title, self.text]
        if self.categories:
            parts.append("Categories: " + ", ".join(self.categories))
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags))
        return ". ".join(p for p in parts if p)


EventType = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]


class Event(Strict):
    """One interaction. `id` is the idempotency key: re-sending it is harmless."""

    id: Id | None = None
    """The idempotency key; derived from the other fields when absent."""
    user_id: Id
    """Who acted."""
    item_id: Id | None = None
    """What they acted on (a search has none)."""
    type: EventType
    """view, click, like, dislike, rate, save, purchase, enroll, complete, dismiss, search..."""
    value: float | None = None
    """A rating, an amount, a dwell time."""
    timestamp: Timestamp = Field(default_factory=utcnow)
    """When: ISO 8601 (naive means UTC) or epoch seconds; default now."""
    context: JsonObject = Field(default_factory=dict)
    """Place, device, session, source list and position..."""

    @model_validator(mode="after")
    def _deterministic_id(self) -> Event:
        # Without an id, the same interaction always hashes to the same key.
        if self.id is None:
            key = "|".join(
                [
                    self.user_id,
                    self.item_id or "",
                    self.type,
                    repr(self.value),
                    self.timestamp.isoformat(),
                ]
            )
            self.id = "ev_" + hashlib.sha1(key.encode()).hexdigest()[:24]
        return self


class Document(Strict):
    id: Id
    """Unique per tenant: the file path for files, the given id for records."""
    title: Text = ""
    """Shown in citations and embedded with each chunk."""
    text: Text = ""
    """The whole text; chunked for retrieval. May be empty when the title is the whole
    document (a tag, a product name)."""
    source: Text = ""
    """Where it came from (file path, URL)."""
    metadata: JsonObject = Field(default_factory=dict)
    """Anything else; kept with the document and its chunks."""


class Chunk(Schema):
    """A passage of a document, as retrieved and cited."""

    id: str
    """`<document id>#<position>`."""
    document_id: str
    """The document it is part of."""
    position: int
    """Its place in the document, from 0."""
    text: str
    """The passage."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Title, character offsets (`start`, `end`), page, and for later chunks of an
    untitled document its opening (`lead`)."""


class Page(Schema, Generic[T]):
    """One page of a listing."""

    items: list[T]
    """This page of results."""
    total: int
    """How many match in all."""
    limit: int
    """The page size asked for."""
    offset: int
    """How many were skipped."""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Deleted(Schema):
    """What a delete removed, counted per kind of record."""

    deleted: dict[str, int]
    """Count per kind of record removed (events, vectors, users, documents, chunks)."""


class TenantStats(Schema):
    """What one tenant's store holds."""

    tenant: str
    """The tenant counted."""
    users: int
    """Users stored."""
    items: int
    """Items stored, active or not."""
    items_by_kind: dict[str, int]
    """Items per kind."""
    events: int
    """Events stored."""
    unindexed_items: int = 0
    """Items without a vector from the embedding model (an import stopped while embedding):
    similar-item search cannot find them. `serve` finishes them on start, the worker on
    its next pass, `rapport items index` at once."""
    unindexed_chunks: int = 0
    """Knowledge-base chunks without a vector, finished the same way (`rapport kb index`)."""
