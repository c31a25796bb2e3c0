"""Domain models: the one vocabulary used by the store, services and every interface."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

T = TypeVar("T")
Id = Annotated[str, Field(min_length=1, max_length=256)]


def to_utc(value: Any) -> Any:
    """Accept ISO 8601 strings, epoch seconds and datetimes; naive times are UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), tz=UTC)
        except ValueError:
            pass
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


Timestamp = Annotated[datetime, BeforeValidator(to_utc)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Strict(BaseModel):
    """Base for input models: unknown fields are errors, so typos never pass silently."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, use_attribute_docstrings=True
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
    name: str = Field(min_length=1)
    """What the skill is about ("python", "guitar")."""
    level: Literal["beginner", "intermediate", "advanced", "expert"] = "beginner"
    """beginner, intermediate, advanced or expert."""


class Profile(BaseModel):
    """What the engine knows about a person; extra keys are kept for the platform."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    interests: list[str] = Field(default_factory=list)
    """Everything the recommender treats as stated interests, free text labels (passions
    included)."""
    passions: list[str] = Field(default_factory=list)
    """What the person said they are passionate about (onboarding); also in `interests`."""
    skills: list[Skill] = Field(default_factory=list)
    """Skills with their levels."""
    goals: list[str] = Field(default_factory=list)
    """What the person wants to reach, free text."""
    hours_per_week: float | None = Field(default=None, ge=0, le=168)
    """Time commitment."""
    learning_style: str | None = None
    """How they prefer to learn: visual, reading, hands_on, auditory, social..."""
    communication_style: str | None = None
    """How they like to be spoken to (brief, warm, formal...)."""

    @model_validator(mode="before")
    @classmethod
    def _accept_passions(cls, data: Any) -> Any:
        # Seed 000 calls interests "passions": given alone, they are the interests too.
        if isinstance(data, dict) and "passions" in data and "interests" not in data:
            data = dict(data)
            data["interests"] = list(data["passions"] or [])
        return data

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
    timezone: str = "UTC"
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
    kind: str = Field(default="item", min_length=1, max_length=64)
    """Free label: opportunity, mentor, course, movie, event, offer, service, post..."""
    title: str = ""
    """Shown in lists and embedded with the text."""
    text: str = ""
    """Description, embedded for similarity and search."""
    tags: list[str] = Field(default_factory=list)
    """Free labels; in CSV `a|b|c`."""
    categories: list[str] = Field(default_factory=list)
    """Broader labels used for filters, diversity and insights."""
    attributes: dict[str, Any] = Field(default_factory=dict)
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
    context: dict[str, Any] = Field(default_factory=dict)
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
    title: str = ""
    """Shown in citations and embedded with each chunk."""
    text: str
    """The whole text; chunked for retrieval."""
    source: str = ""
    """Where it came from (file path, URL)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
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
    """Title, character offsets (`start`, `end`) and page."""


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
