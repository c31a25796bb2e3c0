"""Result and request models of content generation, shared by the library, REST and the
CLI `--json`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from rapport.core.models import Item, Schema, Skill, Strict, Timestamp
from rapport.core.store.generations import GenerationMode

Platform = Literal["x", "linkedin", "instagram"]

PLATFORM_LIMITS: dict[str, int] = {"x": 280, "linkedin": 3000, "instagram": 2200}
"""Characters a post may have on each platform, hashtags included."""


class Generated(Schema):
    """What every generation reports about how it was made."""

    mode: GenerationMode = "template"
    """`llm` (written by the language model) or `template` (deterministic)."""
    model: str = ""
    """The language model that wrote it; empty for templates."""
    generation_id: str = ""
    """The row of the generation log (`GET /generations`)."""


# -- résumé -----------------------------------------------------------------------------------


class ResumeEntry(Schema):
    """One completed course or programme, shown like work experience."""

    item_id: str
    """The catalogue item."""
    title: str
    """Its title."""
    completed_at: datetime | None = None
    """When the user completed (or bought) it."""
    description: str = ""
    """What it covered and what the user gained."""


class Resume(Generated):
    """A résumé built from the profile and the learning history."""

    user_id: str
    """Whose résumé it is."""
    name: str
    """Display name (profile `name`/`full_name`, else the user id)."""
    headline: str
    """One line under the name."""
    summary: str
    """Professional summary, a few sentences."""
    skills: list[Skill] = Field(default_factory=list)
    """Skills with their levels, from the profile."""
    experience: list[ResumeEntry] = Field(default_factory=list)
    """Completed courses and programmes, newest first."""
    achievements: list[str] = Field(default_factory=list)
    """Achievements from the profile."""
    interests: list[str] = Field(default_factory=list)
    """Passions and interests."""
    goals: list[str] = Field(default_factory=list)
    """What the user is working towards."""


class ResumeRequest(Strict):
    """Options of a résumé."""

    language: str = Field(default="en", min_length=2, max_length=16)
    """Language the model should write in (templates are English)."""


# -- social posts -----------------------------------------------------------------------------


class PostRequest(Strict):
    platform: Platform
    """x (280 characters), linkedin (3,000) or instagram (2,200)."""
    achievement: str = Field(min_length=1, max_length=500)
    """What the user achieved, in a few words."""


class SocialPost(Generated):
    """A post about an achievement that fits the platform."""

    user_id: str
    """Whose post it is."""
    platform: Platform
    """Where it will be posted."""
    text: str
    """The whole post, hashtags included: this is what fits the limit."""
    body: str
    """The post without its hashtag line."""
    hashtags: list[str] = Field(min_length=1, max_length=5)
    """1 to 5 hashtags, each starting with `#`."""
    characters: int
    """Length of `text`."""
    limit: int
    """The platform's character limit."""


# -- learning paths ---------------------------------------------------------------------------

Level = Literal["beginner", "intermediate", "advanced", "expert"]


class PathRequest(Strict):
    passion: str = Field(min_length=1, max_length=200)
    """What the user wants to learn ("photography", "data science")."""
    max_steps: int = Field(default=6, ge=1, le=20)
    """Most catalogue items in the path."""


class PathStep(Schema):
    position: int
    """1 for the first step."""
    item_id: str
    """The catalogue item."""
    title: str
    """Its title."""
    level: Level
    """beginner, intermediate, advanced or expert."""
    level_source: Literal["attribute", "text", "order"]
    """Where the level came from: an item attribute, words in its text, or its place
    among the matches (a proxy when nothing says)."""
    hours: float
    """Estimated study hours (`duration_hours`-like attributes, else a default per level)."""
    weeks: float
    """Hours divided by the user's hours per week."""
    why: str = ""
    """Why this step, in one sentence."""


class LearningPath(Generated):
    user_id: str
    """Whose path it is."""
    passion: str
    """What it leads to."""
    hours_per_week: float
    """The user's weekly time (profile `hours_per_week`, else 5)."""
    steps: list[PathStep] = Field(default_factory=list)
    """Ordered beginner to expert."""
    total_hours: float = 0
    """Sum of the steps' hours."""
    estimated_weeks: float = 0
    """Total hours divided by hours per week."""
    summary: str = ""
    """One paragraph about the path."""


# -- tags -------------------------------------------------------------------------------------


class TagRequest(Strict):
    text: str = Field(min_length=1, max_length=20_000)
    """The text to tag."""


class Tags(Generated):
    tags: list[str] = Field(default_factory=list)
    """3 to 5 tags: the tenant's labels (item tags and categories) that are relevant to the
    text, best first, filled up to 3 with key phrases when fewer labels are relevant."""
    key_phrases: list[str] = Field(default_factory=list)
    """Up to 5 phrases of the text that say what it is about."""


class TaggedPosts(Schema):
    """What one pass of post auto-tagging did."""

    checked: int
    """Posts without tags looked at."""
    tagged: int
    """Posts that received tags."""
    item_ids: list[str] = Field(default_factory=list)
    """The posts tagged in this pass."""


# -- drafts -----------------------------------------------------------------------------------


class DraftRequest(Strict):
    """The keys an offer or event is drafted from (seed 004)."""

    category: str = Field(min_length=1, max_length=100)
    """What it is: spa, pizza, concert, yoga..."""
    place: str = Field(min_length=1, max_length=200)
    """Where: a venue, neighbourhood or city."""
    price: float = Field(ge=0)
    """The base price before the discount."""
    discount: float = Field(default=0, ge=0, le=100)
    """Percent off the base price."""
    kind: Literal["offer", "event", "service", "informative"] = "offer"
    """promotional offer, event, service, or informative notice."""
    starts_at: Timestamp | None = None
    """Start of the time window; default: the next full hour."""
    ends_at: Timestamp | None = None
    """End of the window; default: 7 days after the start for offers, 3 hours for events."""
    currency: str = Field(default="EUR", min_length=1, max_length=8)
    """Shown with the prices."""
    details: str = Field(default="", max_length=1000)
    """Anything else to mention."""

    @model_validator(mode="after")
    def _window_is_ordered(self) -> DraftRequest:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Draft(Generated):
    """A ready-to-review offer or event: add `item` to the catalogue to publish it."""

    title: str
    """Short and specific."""
    description: str
    """Two or three sentences."""
    category: str
    """As given."""
    place: str
    """As given."""
    original_price: float
    """The base price."""
    discount: float
    """Percent off."""
    reduced_price: float
    """Base price less the discount, rounded to cents."""
    currency: str
    """Shown with the prices."""
    starts_at: datetime
    """Start of the time window."""
    ends_at: datetime
    """End of the time window."""
    item: Item
    """The draft as a catalogue item (not stored until you add it)."""
