"""Small text helpers shared by the extractors: words, clauses, stems and negation."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[a-z0-9+#]+(?:'[a-z]+)?")
_CLAUSE_BREAK = re.compile(
    r"[.;!?\n/]+|,|\s[-\u2013—]\s|\(|\)|\bbut\b|\bwhereas\b|\bwhile\b|\bthough\b|\balthough\b"
    r"|\bhowever\b|\bexcept\b"
)
NEGATION = re.compile(
    r"\b(?:not|no|never|dont|cannot|hate|hates|dislike|dislikes|nor|neither)\b|n't\b"
)

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "my",
        "our",
        "your",
        "his",
        "her",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "some",
        "any",
        "all",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "and",
        "or",
        "as",
        "i",
        "i'm",
        "im",
        "i've",
        "ive",
        "i'd",
        "id",
        "me",
        "we",
        "us",
        "you",
        "it",
        "it's",
        "its",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "really",
        "very",
        "quite",
        "pretty",
        "just",
        "also",
        "too",
        "mostly",
        "mainly",
        "mostly",
        "especially",
        "particularly",
        "probably",
        "maybe",
        "perhaps",
        "kind",
        "sort",
        "kinds",
        "sorts",
        "stuff",
        "things",
        "thing",
        "like",
        "lot",
        "lots",
        "bit",
        "little",
        "much",
        "more",
        "most",
        "well",
        "so",
        "such",
        "other",
        "else",
        "anything",
        "something",
        "everything",
        "lately",
        "recently",
        "currently",
        "nowadays",
        "these",
        "days",
        "days",
        "day",
        "time",
        "times",
        "etc",
        "honestly",
        "basically",
        "actually",
        "generally",
        "usually",
        "always",
        "sometimes",
        "often",
        "i'll",
        "ill",
        "love",
        "loves",
        "enjoy",
        "enjoys",
        "into",
        "passionate",
        "about",
        "interested",
        "interest",
        "interests",
        "hobby",
        "hobbies",
        "fan",
        "fond",
        "keen",
        "big",
        "huge",
        "obsessed",
        "crazy",
        "mad",
        "want",
        "wanna",
        "would",
        "could",
        "should",
        "can",
        "will",
        "get",
        "got",
        "getting",
        "learn",
        "learning",
        "try",
        "trying",
        "make",
        "making",
        "do",
        "doing",
        "go",
        "going",
        "any",
        "many",
        "lots",
        "okay",
        "ok",
        "yeah",
        "yes",
        "hmm",
        "um",
        "uh",
        "oh",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "please",
        "sure",
        "guess",
        "think",
        "say",
        "said",
        "good",
        "great",
        "nice",
        "fun",
        "cool",
        "favourite",
        "favorite",
        "free",
        "spare",
        "weekend",
        "weekends",
        "evening",
        "evenings",
    ]
)

_stemmer = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case words (apostrophes straightened, `c++`, `c#` kept)."""
    return _WORD.findall(text.lower().replace("\u2019", "'").replace("`", "'"))


def clauses(text: str) -> list[str]:
    """Pieces of `text` that each say one thing (split at sentence ends, commas, "but")."""
    return [c.strip() for c in _CLAUSE_BREAK.split(text.replace("\u2019", "'")) if c and c.strip()]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def negated_before(
    text: str, position: int, window: int = 4, negation: re.Pattern[str] = NEGATION
) -> bool:
    """Whether a negation is among the `window` words before character `position`."""
    before = words(text[:position])[-window:]
    return bool(negation.search(" ".join(before)))


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]
