"""What an interview answer says, by rules: passions, goals, skills with levels, hours per
week and learning style. Works without a language model; the embedder (when given) maps
free phrases onto the tenant's labels and settles levels and styles the rules leave open."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from pydantic import Field

from rapport.core.models import Schema, Skill
from rapport.services.assistant.onboarding.classes import (
    LEVEL_PROTOTYPES,
    STYLE_PROTOTYPES,
    Level,
    Prototypes,
    Style,
    level_by_rules,
    style_scores,
)
from rapport.services.assistant.onboarding.labels import Embed, Labels
from rapport.services.assistant.onboarding.numbers import hours_per_week
from rapport.services.assistant.onboarding.text import (
    STOPWORDS,
    clauses,
    content_words,
    stems,
    words,
)


class Understood(Schema):
    """What the interview established so far; the profile fields onboarding writes."""

    passions: list[str] = Field(default_factory=list)
    """What the person is passionate about: the tenant's labels where one fits, else their
    words."""
    skills: list[Skill] = Field(default_factory=list)
    """Skills with their levels."""
    goals: list[str] = Field(default_factory=list)
    """What they want to reach, in their words."""
    hours_per_week: float | None = Field(default=None, ge=0, le=168)
    """Time they can give per week."""
    learning_style: Style | None = None
    """visual, reading, hands_on, auditory or social."""


_GOAL = re.compile(
    r"\b(?:i'?d (?:really )?(?:like|love) to|i would (?:really )?(?:like|love) to|"
    r"(?<!don't )(?<!do not )(?:i )?(?:really )?want to|wanna|my (?:main |big |ultimate )?"
    r"(?:goal|aim|dream|plan|objective|ambition) (?:is|would be) to|my (?:main )?goal is|"
    r"(?:i'?m |i am )?hoping to|i hope to|(?:i )?aim(?:ing)? to|(?:i'?m )?planning to|"
    r"i plan to|so (?:that )?i can|so i could|in order to|(?:i'?m )?looking to|"
    r"i need to|(?:i'?m )?trying to|eventually|one day i'?d|someday|dream of|dreaming of|"
    r"would be (?:nice|great|cool) to|the idea is to)\s+"
)
_GOAL_END = re.compile(r"\b(?:because|since|cause|as i|and i|but|so i)\b|[.;!?,(]")
_TRIGGER = re.compile(
    r"\b(?:(?:really |absolutely |totally )?(?:love|loves|loving|adore|enjoy|enjoys|enjoying)"
    r"(?: doing| playing| making)?|(?:i'?m |i am |been |getting |got )?(?:really |very |mostly )?"
    r"(?:into|passionate about|interested in|curious about|fascinated by|obsessed with|"
    r"crazy about|mad about|keen on|fond of|excited about|hooked on)|(?:big |huge )?fan of|"
    r"passions? (?:is|are|would be|for)|hobb(?:y|ies) (?:is|are|include)|i like|i'm big on|"
    r"spend (?:my|most of my|a lot of) (?:\w+ )?time (?:on|with)?|(?:i )?(?:do|play|practi[cs]e)"
    r"(?: a lot of| some)?)\s+"
)
_CUT = re.compile(
    r"\b(?:because|since|cause|when|whenever|which|that|so|as|if|whenever|though|where|who|"
    r"for (?:years|ages|fun|a while|a living)|in my|on the|at the|lately|recently|these days|"
    r"and stuff|and things|etc)\b"
)
_LEADING = re.compile(
    r"^(?:(?:and|or|also|plus|then|well|mostly|mainly|especially|probably|definitely|"
    r"particularly|really|honestly|basically|actually|like|um|uh|oh|hmm|yeah|so|hi|hey|"
    r"the|a|an|my|some|all|any|kinds? of|sorts? of|types? of|things? like|stuff like|"
    r"doing|playing|making|learning|practising|practicing|also|too|more|about|"
    r"anything (?:to do )?with|everything (?:to do )?with)\s+)+"
)
_TRAILING = re.compile(
    r"(?:\s+(?:too|as well|mostly|mainly|especially|in particular|a lot|lots|also|stuff|"
    r"things|and|or|in general|generally|overall|i guess|i think|i suppose|really|though|"
    r"etc|of course|obviously|"
    r"one day|someday|some day|eventually|soon|in the future|at some point)\b)+$"
)
_LIST_SPLIT = re.compile(r",|/|&|\band\b|\bor\b|\bplus\b|\bas well as\b|\balso\b")
_PRONOUN = re.compile(r"\b(?:i|i'm|i've|i'd|im|ive|me|my|we|you|it|they|he|she)\b")
MAX_FREE_WORDS = 3


@dataclass
class RuleExtractor:
    """Profile fields from answers by rules, matching the tenant's `labels`."""

    labels: Labels
    embed: Embed | None = None

    def __post_init__(self) -> None:
        self._levels = Prototypes(LEVEL_PROTOTYPES, self.embed) if self.embed else None
        self._styles = Prototypes(STYLE_PROTOTYPES, self.embed) if self.embed else None

    # -- passions and goals ----------------------------------------------------------------

    def goals(self, text: str) -> list[str]:
        """Clauses that say what the person wants to reach ("I'd like to become a data
        analyst" -> "become a data analyst")."""
        found: list[str] = []
        low = text.lower().replace("\u2019", "'")
        for match in _GOAL.finditer(low):
            rest = low[match.end() :]
            end = _GOAL_END.search(rest)
            goal = _tidy(rest[: end.start()] if end else rest)
            if len(content_words(goal)) >= 1 and goal not in found:
                found.append(goal)
        return found

    def passions(self, text: str) -> list[str]:
        """Labels the answer names (not negated), then free phrases after "I love", "into",
        ... or in a plain list, each mapped to the nearest label in meaning when close,
        else kept in the person's words."""
        found: list[str] = []
        for phrase in self.labels.phrases(text):
            if phrase not in found:
                found.append(phrase)
        free: list[str] = []
        for phrase in self._free_phrases(text):
            if any(_overlaps(phrase, label) for label in found) or self.labels.mentions(phrase):
                continue
            free.append(phrase)
        nearest = self.labels.nearest(free)
        close_to_found = self.labels.similar_to_any(free, found)
        for phrase, label, redundant in zip(free, nearest, close_to_found, strict=True):
            value = label or phrase
            if redundant or value in found or any(_overlaps(value, f) for f in found):
                continue
            found.append(value)
        return self.labels.drop_broader(found)

    def _free_phrases(self, text: str) -> list[str]:
        low = text.lower().replace("\u2019", "'")
        phrases: list[str] = []
        # Clauses without a trigger are read as a list ("photography, hiking") only when
        # the answer is a list; in sentences they are asides ("hmm, good question").
        listing = not any(_PRONOUN.search(c) for c in clauses(low))
        for clause in clauses(low):
            if _GOAL.search(clause + " ") or re.search(r"\b(?:not|n't|never|no)\b", clause):
                continue
            # The last trigger of the clause: "I love that I'm into pottery" -> "pottery".
            trigger = None
            for trigger in _TRIGGER.finditer(clause):  # noqa: B007
                continue
            if trigger is not None:
                body = clause[trigger.end() :]
            elif not listing:
                continue
            else:
                body = clause
            cut = _CUT.search(body)
            body = body[: cut.start()] if cut else body
            for part in _LIST_SPLIT.split(body):
                phrase = _tidy(part)
                kept = content_words(phrase)
                if 1 <= len(kept) <= MAX_FREE_WORDS and not _PRONOUN.search(phrase):
                    phrases.append(phrase)
        return list(dict.fromkeys(phrases))

    # -- skills ----------------------------------------------------------------------------

    def level(self, text: str) -> Level | None:
        """The level a phrase states: rules first, then the nearest prototype."""
        found = level_by_rules(text)
        if found is None and self._levels is not None and len(content_words(text)) >= 2:
            found = cast(Level | None, self._levels.classify(text))
        return found

    def skills(self, text: str, passions: list[str]) -> list[Skill]:
        """Skills named in the answer with the level said next to them; a level said
        alone applies to every passion."""
        known = Labels([*passions, *self.labels.labels])
        parts: list[tuple[list[str], Level | None]] = []
        for clause in clauses(text):
            for piece in _and_pieces(clause):
                names = [m.label for m in known.mentions(piece)]
                names = [_as_passion(n, passions) for n in names]
                level = level_by_rules(piece)
                parts.append((list(dict.fromkeys(names)), level))
        result: dict[str, Level] = {}
        pending: list[str] = []
        floating: list[Level] = []
        previous: Level | None = None  # the level of the clause before, when it named skills
        for names, level in parts:
            if level and not names and level == previous and not pending:
                # "python I'm decent, self-taught": the same level again says more of it.
                continue
            previous = level if names else None
            if names and level:
                for name in [*pending, *names]:
                    result.setdefault(name, level)
                pending = []
            elif names:
                pending.extend(names)
            elif level:
                if pending:
                    for name in pending:
                        result.setdefault(name, level)
                    pending = []
                else:
                    floating.append(level)
        if pending:
            level = floating.pop() if floating else self.level(text)
            for name in pending:
                if level:
                    result.setdefault(name, level)
        if not result:
            if len(floating) > 1 and len(floating) == len(passions):
                # "advanced / beginner": one level per passion, in the order they were named.
                return [Skill(name=n, level=lv) for n, lv in zip(passions, floating, strict=True)]
            level = floating[0] if floating else self.level(text)
            if level:
                result = dict.fromkeys(passions, level)
        else:
            # "Hiking I'm good at, but with the camera I've only dabbled": levels said of
            # something the rules did not recognise go, in order, to passions still without one.
            unassigned = [p for p in passions if p not in result]
            for name, level in zip(unassigned, floating, strict=False):
                result[name] = level
        return [Skill(name=name, level=level) for name, level in result.items()]

    # -- time and style --------------------------------------------------------------------

    def hours(self, text: str) -> float | None:
        hours = hours_per_week(text)
        return None if hours is None or hours > 168 else hours

    def style(self, text: str) -> Style | None:
        """The learning style: the most mentioned (dismissed ones count against), the
        nearest prototype when the mentions tie or there are none."""
        scores = style_scores(text)
        top = max(scores.values())
        tied = [s for s, v in scores.items() if v == top]
        if top > 0 and len(tied) == 1:
            return tied[0]
        if self._styles is not None:
            guess = self._styles.classify(text)
            if guess is not None and (top <= 0 or guess in tied):
                return cast(Style, guess)
        return tied[0] if top > 0 else None


def _tidy(phrase: str) -> str:
    phrase = re.sub(r"[^\w\s+#'-]", " ", phrase.lower())
    phrase = re.sub(r"\s+", " ", phrase).strip()
    for _ in range(3):
        phrase = _LEADING.sub("", phrase).strip()
        phrase = _TRAILING.sub("", phrase).strip()
    return phrase


def _key(phrase: str) -> set[str]:
    return {s for s, w in zip(stems(phrase), words(phrase), strict=True) if w not in STOPWORDS}


def _overlaps(a: str, b: str) -> bool:
    """Whether two phrases share a content word stem ("thai cooking" and "cooking")."""
    sa = {s for s, w in zip(stems(a), words(a), strict=True) if w not in STOPWORDS}
    sb = {s for s, w in zip(stems(b), words(b), strict=True) if w not in STOPWORDS}
    return bool(sa & sb)


def _as_passion(name: str, passions: list[str]) -> str:
    """A skill named like one of the passions takes the passion's spelling ("baking" for
    "baking bread"); "data science" does not become "data analysis"."""
    key = _key(name)
    return next((p for p in passions if key and (key <= _key(p) or _key(p) <= key)), name)


def _and_pieces(clause: str) -> list[str]:
    """A clause cut at "and" when both sides say something ("intermediate at python and a
    beginner at guitar"), kept whole otherwise ("python and javascript are fine")."""
    pieces = re.split(r"\band\b", clause)
    if len(pieces) > 1 and sum(level_by_rules(p) is not None for p in pieces) > 1:
        return pieces
    return [clause]
