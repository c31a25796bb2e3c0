"""Skill levels and learning styles in people's words: a rule layer of phrases first, then
the class whose prototype sentences are nearest in meaning (MiniLM), when close enough."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from rapidfuzz.distance import Levenshtein

from rapport.services.assistant.onboarding.labels import Embed, is_known_word
from rapport.services.assistant.onboarding.numbers import normalise

Level = Literal["beginner", "intermediate", "advanced", "expert"]
Style = Literal["visual", "reading", "hands_on", "auditory", "social"]
LEVELS: tuple[Level, ...] = ("beginner", "intermediate", "advanced", "expert")
STYLES: tuple[Style, ...] = ("visual", "reading", "hands_on", "auditory", "social")


def _rx(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


# Checked in this order: the first that matches decides (negated forms first).
_LEVEL_RULES: list[tuple[Level, re.Pattern[str]]] = [
    ("intermediate", _rx(r"not (?:a |an |really a |quite a )?(?:complete |total )?beginner",
                         r"(?:not|no|far from)(?: an?)? (?:expert|pro|master)", r"not bad",
                         r"beyond the basics", r"past the basics")),
    ("beginner", _rx(r"not (?:very |that |so |really |too )?(?:good|great|confident|strong)",
                     r"not much", r"don'?t know much", r"not (?:very )?experienced")),
    ("expert", _rx(r"expert", r"mastered", r"master", r"guru", r"i'?m a pro", r"professional \w+",
                   r"i teach", r"teach (?:it|others|classes|courses|workshops|people)",
                   r"(?<!self-)(?<!self )taught", r"decades?", r"world[- ]class", r"top level",
                   r"for a living", r"inside out",
                   r"(?:national|international) level", r"published", r"could teach")),
    ("advanced", _rx(r"advanced", r"very good", r"really good", r"pretty good", r"quite good",
                     r"strong", r"proficient", r"fluent", r"confident", r"professionally",
                     r"at work", r"for work", r"my job", r"every ?day at", r"daily at",
                     r"senior", r"skilled", r"experienced", r"a lot of experience",
                     r"lots of experience", r"solid", r"know it (?:really |very )?well",
                     r"highly", r"very comfortable", r"second nature", r"fairly advanced",
                     r"for ages", r"for a long time", r"since i was (?:a kid|a child|young|little)",
                     r"since (?:many|lots of) years")),
    ("intermediate", _rx(r"intermediate", r"some experience", r"decent", r"okay", r"ok",
                         r"alright", r"all right", r"fairly", r"moderate", r"moderately",
                         r"average", r"mid", r"middling", r"medium", r"comfortable",
                         r"get by", r"getting by", r"so[- ]so", r"reasonabl[ey]", r"rusty",
                         r"halfway", r"my way around", r"good", r"not a beginner anymore",
                         r"competent", r"self[- ]taught", r"some projects", r"a few projects",
                         r"improver", r"hobbyist", r"getting there", r"getting better",
                         r"kind of ok", r"not too bad", r"in the middle", r"fair")),
    ("beginner", _rx(r"beginner", r"newbie", r"noob", r"novice", r"just start\w*",
                     r"starting out", r"new to", r"never", r"no experience", r"zero",
                     r"dabbled", r"dabble", r"dabbling", r"a little", r"a bit", r"basics?",
                     r"barely", r"first steps", r"bad at", r"terrible", r"clueless",
                     r"complete newcomer", r"newcomer", r"tried it", r"only tried",
                     r"haven'?t", r"don'?t know", r"learning the ropes", r"total beginner",
                     r"from scratch", r"green", r"amateur", r"not great", r"nothing serious",
                     r"not serious", r"(?:still|just) learning", r"learner",
                     r"start(?:ing|ed)? (?:now|recently|this (?:year|month))", r"i start",
                     r"only (?:a few|some) (?:words|chords|lessons)", r"first time")),
]  # fmt: skip

_YEARS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\+\s*)?(years?|yrs?|months?|weeks?)")

LEVEL_PROTOTYPES: dict[str, list[str]] = {
    "beginner": ["I am a complete beginner", "I have only just started", "I've barely tried it",
                 "I know almost nothing about it", "I'm new to this"],
    "intermediate": ["I have some experience", "I'm okay at it, not great",
                     "I know the basics and a bit more", "I can manage on my own"],
    "advanced": ["I'm very good at it", "I use it at work every day",
                 "I have years of experience and I'm confident"],
    "expert": ["I'm an expert", "I teach it professionally", "I have mastered it"],
}  # fmt: skip

_STYLE_WORDS: dict[Style, re.Pattern[str]] = {
    "visual": _rx(r"videos?", r"youtube", r"watch\w*", r"diagrams?", r"visual\w*", r"see\w*",
                  r"seeing", r"pictures?", r"images?", r"charts?", r"infographics?",
                  r"demonstrations?", r"demos?", r"show me", r"shown", r"illustrat\w*",
                  r"mind ?maps?", r"screencasts?", r"tutorial videos?", r"animations?",
                  r"sketch\w*", r"drawings?", r"slides?", r"video courses?"),
    "reading": _rx(r"read\w*", r"books?", r"articles?", r"docs", r"documentation", r"written",
                   r"texts?", r"blogs?", r"manuals?", r"notes", r"textbooks?", r"ebooks?",
                   r"wikipedia", r"papers?", r"guides?", r"write[- ]ups?",
                   r"on paper", r"theory"),
    "hands_on": _rx(r"build\w*", r"doing", r"by doing", r"do it", r"practi[cs]e\w*",
                    r"hands[- ]on", r"projects?", r"trial and error", r"tinker\w*",
                    r"experiment\w*", r"exercises?", r"make things", r"making things",
                    r"get my hands dirty", r"try(?:ing)? (?:it|things|stuff) out",
                    r"trying things", r"jump(?:ing)? (?:right )?in", r"dive in", r"diving in",
                    r"real tasks?", r"in practice", r"messing around", r"playing around",
                    r"fiddl\w*", r"learn as i go", r"break(?:ing)? things", r"apply\w*",
                    r"coding along", r"code along", r"follow along", r"kata", r"labs?"),
    "auditory": _rx(r"listen\w*", r"podcasts?", r"audio\w*", r"audiobooks?", r"hear\w*",
                    r"spoken", r"out loud", r"aloud", r"radio", r"lectures?", r"talks?",
                    r"by ear", r"recordings?", r"commut\w*"),
    "social": _rx(r"groups?", r"with others", r"other people", r"people", r"mentors?\w*",
                  r"class(?:es)?", r"teachers?", r"tutors?", r"friends?", r"community",
                  r"communities", r"study (?:group|buddy|partner)", r"pair\w*", r"together",
                  r"workshops?", r"discuss\w*", r"one[- ]on[- ]one", r"1[:-]1", r"coach\w*",
                  r"someone", r"teams?", r"meetups?", r"clubs?", r"peers?", r"in person",
                  r"conversations?", r"chat\w*", r"ask questions", r"feedback", r"cohort"),
}  # fmt: skip

STYLE_PROTOTYPES: dict[str, list[str]] = {
    "visual": ["I learn best by watching videos", "seeing diagrams and demonstrations helps me",
               "show me how it looks"],
    "reading": ["I prefer reading books and articles", "give me written documentation",
                "I learn by reading and taking notes"],
    "hands_on": ["I learn by building things myself", "I need to practise and try it out",
                 "learning by doing works for me"],
    "auditory": ["I like listening to podcasts", "I learn by hearing explanations out loud",
                 "audio lessons while I commute"],
    "social": ["I learn best with other people", "a mentor or a group class helps me",
                "studying together with friends"],
}  # fmt: skip

# A style named and then dismissed: "videos bore me", "not a big reader", "rather than books".
_AFTER_NEGATIVE = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:bores?|boring|don'?t work|doesn'?t work|aren'?t for me|isn'?t for me|"
    r"not for me|put me to sleep|never stick|don'?t stick|lose me|make me sleepy|are useless|"
    r"is useless|are too slow|is too slow|not really|don'?t help|doesn'?t help)"
)
_BEFORE_NEGATIVE = re.compile(
    r"(?:\bnot\b|n't|\bno\b|\bnever\b|\bhate\b|\bdislike\b|rather than|instead of|more than|"
    r"\bover\b|\bless\b|\bnor\b|\bneither\b|\bthan\b|\bwithout\b|\bbored by\b|\bbored with\b"
    r"|\bbut not\b)(?:\W+\w+){0,3}\W*$"
)


@dataclass
class Prototypes:
    """Nearest class by cosine to a few prototype sentences per class."""

    classes: dict[str, list[str]]
    embed: Embed
    minimum: float = 0.35
    _matrix: np.ndarray | None = field(init=False, default=None)
    _owners: list[str] = field(init=False, default_factory=list)

    def classify(self, text: str) -> str | None:
        if self._matrix is None:
            self._owners = [c for c, sentences in self.classes.items() for _ in sentences]
            self._matrix = self.embed([s for sentences in self.classes.values() for s in sentences])
        sims = self.embed([text])[0] @ self._matrix.T
        best = int(sims.argmax())
        return self._owners[best] if float(sims[best]) >= self.minimum else None


_LEVEL_WORDS = ("beginner", "intermediate", "advanced", "expert", "novice", "newbie", "basics")


def _spelled(text: str) -> str:
    """Misspelt level words put right ("begginer", "intermidiate")."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 5 or is_known_word(word):
            return word
        for target in _LEVEL_WORDS:
            if word[0] == target[0] and Levenshtein.distance(word, target, score_cutoff=2) <= 2:
                return target
        return word

    return re.sub(r"[a-z]+", fix, text)


def level_by_rules(text: str) -> Level | None:
    """The level a phrase states, by its words or by years of practice."""
    low = " " + _spelled(text.lower().replace("\u2019", "'")) + " "
    for level, pattern in _LEVEL_RULES:
        if pattern.search(low):
            return level
    years = _YEARS.search(normalise(text))
    if years:
        amount, unit = float(years.group(1)), years.group(2)
        if not unit.startswith("y") or amount < 1:
            return "beginner"
        return "intermediate" if amount < 5 else "advanced" if amount < 10 else "expert"
    return None


def style_scores(text: str) -> dict[Style, float]:
    """Points per style: +1 for each mention, -1.5 for each dismissed one."""
    low = text.lower().replace("\u2019", "'")
    scores: dict[Style, float] = dict.fromkeys(STYLES, 0.0)
    for style, pattern in _STYLE_WORDS.items():
        for match in pattern.finditer(low):
            before, after = low[: match.start()], low[match.end() :]
            dismissed = _BEFORE_NEGATIVE.search(before[-40:]) or _AFTER_NEGATIVE.search(after)
            scores[style] += -1.5 if dismissed else 1.0
    return scores


def style_by_rules(text: str) -> Style | None:
    scores = style_scores(text)
    best = max(STYLES, key=lambda s: scores[s])
    if scores[best] <= 0:
        return None
    ties = [s for s in STYLES if scores[s] == scores[best]]
    return best if len(ties) == 1 else None
