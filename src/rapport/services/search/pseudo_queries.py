"""Pseudo-queries drawn from a corpus itself, for choosing retrieval settings without any
relevance judgement (a user's corpus has none).

Each pseudo-query is one sentence cut out of a chunk (the Inverse Cloze Task of Lee et al.,
2019): the sentence is the query, its document the answer, and the sentence is removed from
every chunk of that document that holds it, so the answer has to be found from the rest of its
text, as a real question is, and not by matching the sentence word for word.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
"""A sentence ends at ., ! or ? followed by space and a capital, a digit or an opening quote."""
PARAGRAPH_END = re.compile(r"\n\s*\n")
MIN_WORDS = 4
"""Shorter sentences ("See below.") say too little to be a question."""
MAX_WORDS = 40
"""Longer ones are paragraphs that lost their breaks; no query is that long."""


@dataclass(frozen=True)
class CorpusRow:
    """One indexed chunk, as the tuner sees it."""

    document: str
    """Id of the chunk's document: the unit a pseudo-query's answer is judged by."""
    text: str
    """The text indexed for the chunk (title included)."""


@dataclass(frozen=True)
class PseudoQuery:
    text: str
    """The sentence."""
    document: str
    """Its document, the one right answer."""


@dataclass(frozen=True)
class PseudoQueries:
    queries: list[PseudoQuery]
    edited: dict[int, str]
    """Row -> the row's text without its query's sentence (only rows that held one)."""


def sentences(text: str) -> list[str]:
    """Sentences of `text`; a blank line (after a title, between paragraphs) ends one too."""
    return [
        sentence.strip()
        for paragraph in PARAGRAPH_END.split(text)
        for sentence in SENTENCE_END.split(paragraph)
        if sentence.strip()
    ]


def cut_sentence_queries(rows: Sequence[CorpusRow], count: int, seed: int = 0) -> PseudoQueries:
    """Up to `count` pseudo-queries from distinct documents drawn at random (seeded, so the
    same corpus always gives the same queries)."""
    by_document: dict[str, list[int]] = {}
    for row, entry in enumerate(rows):
        by_document.setdefault(entry.document, []).append(row)
    documents = sorted(by_document)
    rng = random.Random(seed)
    rng.shuffle(documents)
    queries: list[PseudoQuery] = []
    edited: dict[int, str] = {}
    for document in documents:
        if len(queries) == count:
            break
        source = by_document[document][rng.randrange(len(by_document[document]))]
        parts = sentences(rows[source].text)
        if len(parts) < 2:
            continue  # nothing would remain to find the document by
        usable = [p for p in parts if MIN_WORDS <= len(p.split()) <= MAX_WORDS]
        if not usable:
            continue
        sentence = usable[rng.randrange(len(usable))]
        for row in by_document[document]:  # overlapping chunks repeat the sentence
            if sentence in rows[row].text:
                edited[row] = " ".join(rows[row].text.replace(sentence, " ").split())
        queries.append(PseudoQuery(text=sentence, document=document))
    return PseudoQueries(queries=queries, edited=edited)
