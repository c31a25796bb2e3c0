"""The process assistant (seed 003): from a chat message about a process (steps with
substeps), proposed operations `complete_step`, `add_step`, `add_substep`, `update_step`.

Nothing is changed here: the caller applies the operations it accepts. With a language
model the operations come from structured output and are checked against the process (ids
must exist, each operation must carry what it needs); anything invalid falls back to the
rules. The rules read the message clause by clause with phrase patterns ("I finished X",
"X is done", "add a step to Y", "under X, add Y", "rename X to Y") and find the step or
substep X names by meaning: MiniLM similarity of the phrase and each title, plus the share
of the title's words found in the phrase."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from rapport.core.llm import LLMGateway
from rapport.core.models import Schema, Strict
from rapport.core.vectors.embedder import Embedder, normalise
from rapport.services.assistant.generate.llm import ask

OpName = Literal["complete_step", "add_step", "add_substep", "update_step"]
MATCH_THRESHOLD = 0.5
"""Least score (cosine + 0.3 x word overlap) for a phrase to name a step."""
RELATED_THRESHOLD = 0.45
"""Least cosine between a message and a step title for a question to count as about the
process when it asks for no operation."""


class _Lenient(BaseModel):
    # Clients send their own fields along (order, owner, due dates): kept out, not refused.
    model_config = ConfigDict(
        extra="ignore", str_strip_whitespace=True, use_attribute_docstrings=True
    )


class ProcessSubstep(_Lenient):
    id: str = Field(min_length=1)
    """Unique within the process."""
    title: str = Field(min_length=1)
    """What the substep is."""
    status: str = "todo"
    """todo, in_progress, done... (free text)."""


class ProcessStep(_Lenient):
    id: str = Field(min_length=1)
    """Unique within the process."""
    title: str = Field(min_length=1)
    """What the step is."""
    status: str = "todo"
    """todo, in_progress, done... (free text)."""
    substeps: list[ProcessSubstep] = Field(default_factory=list)
    """Its substeps, in order."""


class Process(_Lenient):
    id: str = Field(min_length=1)
    """The process."""
    title: str = ""
    """What the process is for."""
    steps: list[ProcessStep] = Field(default_factory=list)
    """Its steps, in order."""


class ProcessRequest(Strict):
    process: Process
    """The process as the caller holds it now."""
    message: str = Field(min_length=1, max_length=4000)
    """What the user said."""


class ProcessOperation(Schema):
    """One proposed change; the caller decides whether to apply it."""

    op: OpName
    """complete_step, add_step, add_substep or update_step."""
    step_id: str | None = None
    """The step acted on (complete, add_substep, update)."""
    substep_id: str | None = None
    """The substep, when a substep is completed or updated."""
    content: str | None = None
    """Title of the new step or substep, or the new title (update)."""


class ProcessOperations(Schema):
    """What the message means for the process."""

    is_process_related: bool
    """Whether the message is about the process at all."""
    operations: list[ProcessOperation] = Field(default_factory=list)
    """Proposed operations, in the order the message gave them."""
    mode: Literal["llm", "rules"] = "rules"
    """`llm` (structured output, validated) or `rules`."""
    model: str = ""
    """The language model that proposed them; empty for rules."""


class _LLMOperations(BaseModel):
    is_process_related: bool
    operations: list[ProcessOperation] = Field(default_factory=list)


# -- the rules --------------------------------------------------------------------------------

CONTRACTIONS = {
    "i've": "i have", "we've": "we have", "they've": "they have", "i'm": "i am",
    "we're": "we are", "it's": "it is", "that's": "that is", "let's": "let us",
    "what's": "what is", "here's": "here is", "we'd": "we would", "i'd": "i would",
}  # fmt: skip
SUB = r"sub-?\s?(?:step|task|item)s?"
ADD = r"(?:add|put|include|insert|append|create)"
ARTICLE = r"(?:(?:a|an|the|one more|another|new|extra|separate)\s+)*"
CONNECT = r"(?:to|for|called|named|titled|that says|saying|:|-)?"
DONE_WORDS = (
    r"done|complete|completed|finished|ready|sorted|settled|finali[sz]ed|over|wrapped up|"
    r"taken care of|closed|shipped|bought|sent|built|made|paid|set|chosen|hired|got|won|"
    r"signed|booked|approved|[a-z]+ed"
)
PAST = (
    r"finished|completed|wrapped up|closed|shipped|got|bought|sent|made|built|hired|chose|"
    r"chosen|did|done|won|paid|set up|wrote|written|ran|took|taken|[a-z]+ed"
)
TRAILING = re.compile(
    r"\s+(?:yesterday|today|this (?:morning|afternoon|week)|last (?:night|week)|already|"
    r"just now|at last|finally|now|too|as well|please|for now)$",
    re.I,
)

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "update_step",
        re.compile(
            r"^(?:.*?\b)?(?:rename|change|update|retitle|edit)\s+"
            r"(?:the\s+)?(?:step\s+)?(?P<target>.+?)(?:\s+step)?\s+(?:to|into|as)\s*:?\s+"
            r"(?P<content>.+)$",
            re.I,
        ),
    ),
    (
        "add_substep",
        re.compile(
            rf"^(?:.*?\b)?{ADD}\s+{ARTICLE}{SUB}\s+(?:under|to|in|for|within|beneath)\s+"
            rf"(?:the\s+)?(?P<target>.+?)(?:\s+step)?(?:\s+(?:to|for|called|named|titled)\s+|\s*:\s*)"
            rf"(?P<content>.+)$",
            re.I,
        ),
    ),
    (
        "add_substep",
        re.compile(
            rf"^(?:.*?\b)?{ADD}\s+{ARTICLE}{SUB}\s*{CONNECT}\s*(?P<content>.+?)\s+"
            rf"(?:under|to|in|for|within|beneath)\s+(?:the\s+)?(?P<target>.+?)(?:\s+step)?$",
            re.I,
        ),
    ),
    (
        "add_substep",
        re.compile(
            rf"^(?:under|in|for|within|to|on)\s+(?:the\s+)?(?P<target>.+?)(?:\s+step)?\s*,\s*"
            rf"(?:please\s+|can you\s+|could you\s+|let us\s+)?(?:add|include|create|put)\s+"
            rf"{ARTICLE}(?:{SUB}\s*)?{CONNECT}\s*(?P<content>.+)$",
            re.I,
        ),
    ),
    (
        "add_substep",
        re.compile(
            rf"^(?:.*?\b)?{ADD}\s+(?P<content>.+?)\s+(?:under|beneath|below|within)\s+"
            r"(?:the\s+)?(?P<target>.+?)(?:\s+step)?$",
            re.I,
        ),
    ),
    (
        "add_step",
        re.compile(
            rf"^(?:.*?\b)?{ADD}\s+(?P<content>.+?)\s+as\s+{ARTICLE}(?:step|task|stage|phase)$",
            re.I,
        ),
    ),
    (
        "add_step",
        re.compile(
            rf"^(?:.*?\b)?(?:{ADD}|need|want)\s+{ARTICLE}(?:step|task|stage|phase)\b\s*"
            rf"{CONNECT}\s*(?P<content>.+)$",
            re.I,
        ),
    ),
    (
        "complete_step",
        re.compile(
            r"^(?:please\s+)?(?:mark|set|tick|check)\s+(?:off\s+)?(?:the\s+)?(?P<target>.+?)"
            r"(?:\s+step)?(?:\s+(?:as|to)\s+|\s+)(?:done|complete|completed|finished)$",
            re.I,
        ),
    ),
    (
        "complete_step",
        re.compile(
            r"^(?:i am\s+|we are\s+)?(?:all\s+)?(?:done|finished|through)\s+with\s+(?P<target>.+)$",
            re.I,
        ),
    ),
    (
        "complete_step",
        re.compile(r"^(?:.*?\s)?signed\s+off\s+(?:on\s+)?(?P<target>.+)$", re.I),
    ),
    (
        "complete_step",
        re.compile(
            r"^(?P<target>.+?)\s+(?:passed|succeeded|went live|went well|is live|finished|"
            r"completed|done|wrapped|(?:is|are)\s+(?:green|passing|live)|"
            r"got (?:approved|signed off|accepted))\b.*$",
            re.I,
        ),
    ),
    (
        "complete_step",
        re.compile(
            rf"^(?:(?:i|we|they|she|he|the team)\s+)?(?:have\s+|has\s+|just\s+|finally\s+|"
            rf"already\s+|also\s+)*(?P<verb>{PAST})\s+(?P<target>.+)$",
            re.I,
        ),
    ),
    (
        "complete_step",
        re.compile(
            rf"^(?P<target>.+?)\s+(?:is|are|was|were|has been|have been|got|now)\s+"
            rf"(?:all\s+|now\s+|finally\s+|fully\s+|already\s+)*(?P<verb>{DONE_WORDS})\b.*$",
            re.I,
        ),
    ),
]
SPLIT = re.compile(r"(?<=[.;!?])\s+|\n+|,?\s+(?:and then|and also|and|then|also)\s+", re.I)
STEM = re.compile(r"(?:ing|ed|es|s)$")
WORDS = re.compile(r"[^\W_]+", re.UNICODE)
FILLER = frozenset(
    "a an the of to for and with on in at by my our your all some this that is are be".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class _Target:
    step_id: str
    substep_id: str | None
    title: str


def _stem(word: str) -> str:
    word = word.lower()
    return STEM.sub("", word) if len(word) > 4 else word


def _content_words(text: str) -> set[str]:
    return {_stem(w) for w in WORDS.findall(text) if w.lower() not in FILLER}


def _overlap(phrase: str, title: str) -> float:
    """Share of the title's words that the phrase contains."""
    title_words = _content_words(title)
    return len(title_words & _content_words(phrase)) / len(title_words) if title_words else 0.0


def _clean_content(text: str) -> str:
    text = TRAILING.sub("", text.strip().strip(" .!?;:,\"'\u2018\u2019\u201c\u201d"))
    text = re.sub(r"^(?:a|an|the)\s+", "", text, flags=re.I).strip()
    return text[:1].upper() + text[1:] if text else text


def _expand(text: str) -> str:
    text = re.sub(r"'s\s+been\b", " has been", text.replace("\u2019", "'"))
    return re.sub(
        r"\b(" + "|".join(re.escape(k) for k in CONTRACTIONS) + r")\b",
        lambda m: CONTRACTIONS[m.group(1).lower()],
        text,
        flags=re.I,
    )


class ProcessAssistant:
    """Proposes process operations for chat messages."""

    def __init__(self, embedder: Embedder, gateway: LLMGateway) -> None:
        self.embedder = embedder
        self.gateway = gateway
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def operations(self, request: ProcessRequest, *, allow_llm: bool = True) -> ProcessOperations:
        if allow_llm and self.gateway.available:
            proposed = self._from_llm(request)
            if proposed is not None:
                return proposed
        return self.rules(request.process, request.message)

    def operations_many(
        self, requests: list[ProcessRequest], *, allow_llm: bool = True
    ) -> list[ProcessOperations]:
        """`operations` for each request; without a model, every text the rules may match
        is embedded in one batch first (an evaluation set runs in one model call)."""
        if not (allow_llm and self.gateway.available):
            texts: list[str] = []
            for request in requests:
                texts += self._texts(request.process, request.message, _pieces(request.message))
            self._embed(texts)
        return [self.operations(request, allow_llm=allow_llm) for request in requests]

    # -- language model ----------------------------------------------------------------------

    def _from_llm(self, request: ProcessRequest) -> ProcessOperations | None:
        reply, model = ask(
            self.gateway,
            "You help people keep a process up to date from chat. Decide whether the message "
            "is about the process and propose operations: complete_step (step_id, and "
            "substep_id for a substep), add_step (content), add_substep (step_id, content), "
            "update_step (step_id, content = new title). Use only ids from the process. "
            "Propose nothing the message does not ask for or report.",
            {"process": request.process.model_dump(), "message": request.message},
            _LLMOperations,
            temperature=0.0,
            max_tokens=600,
        )
        if reply is None or not _valid(reply, request.process):
            return None
        return ProcessOperations(
            is_process_related=reply.is_process_related,
            operations=reply.operations,
            mode="llm",
            model=model,
        )

    # -- rules -------------------------------------------------------------------------------

    def rules(self, process: Process, message: str) -> ProcessOperations:
        pieces = _pieces(message)
        self._embed(self._texts(process, message, pieces))
        parsed: list[tuple[str, list[ProcessOperation] | None]] = []
        for piece in pieces:
            found = self._parse(process, piece)
            if parsed and found is None:  # "book the venue and the catering": one clause
                merged = f"{parsed[-1][0]} and {piece}"
                parsed[-1] = (merged, self._parse(process, merged))
            else:
                parsed.append((piece, found))
        operations: list[ProcessOperation] = []
        for _, found in parsed:
            operations.extend(op for op in found or [] if op not in operations)
        intent = any(found is not None for _, found in parsed)
        related = intent or self._about(process, message)
        return ProcessOperations(is_process_related=related, operations=operations)

    def _texts(self, process: Process, message: str, pieces: list[str]) -> list[str]:
        """Every text the clauses may be matched with, to embed in one batch."""
        texts = [message, *(s.title for s in process.steps)]
        texts += [sub.title for s in process.steps for sub in s.substeps]
        for piece in pieces:
            for _, pattern in PATTERNS:
                match = pattern.match(piece)
                if match is None or not match.groupdict().get("target"):
                    continue
                target = TRAILING.sub("", match.group("target").strip())
                verb = match.groupdict().get("verb") or ""
                texts += [target, f"{verb} {target}"] if verb else [target]
        return texts

    def _parse(self, process: Process, clause: str) -> list[ProcessOperation] | None:
        """The operations one clause asks for; None when no pattern reads it."""
        for op, pattern in PATTERNS:
            match = pattern.match(clause)
            if match is None:
                continue
            groups = match.groupdict()
            content = _clean_content(groups.get("content") or "")
            if op == "add_step":
                return [ProcessOperation(op="add_step", content=content)] if content else None
            target_text = TRAILING.sub("", (groups.get("target") or "").strip())
            verb = groups.get("verb") or ""
            target = self.match(process, target_text, verb=verb, steps_only=op == "add_substep")
            if target is None:
                continue  # another reading of the clause may name a step
            if op == "add_substep":
                if not content:
                    continue
                return [ProcessOperation(op=op, step_id=target.step_id, content=content)]
            if op == "update_step":
                if not content:
                    continue
                return [
                    ProcessOperation(
                        op=op, step_id=target.step_id, substep_id=target.substep_id, content=content
                    )
                ]
            return [ProcessOperation(op=op, step_id=target.step_id, substep_id=target.substep_id)]
        return None

    def match(
        self, process: Process, phrase: str, *, verb: str = "", steps_only: bool = False
    ) -> _Target | None:
        """The step or substep `phrase` names, or None when none is close enough."""
        targets = [_Target(s.id, None, s.title) for s in process.steps]
        if not steps_only:
            targets += [
                _Target(s.id, sub.id, sub.title) for s in process.steps for sub in s.substeps
            ]
        if not targets or not phrase.strip():
            return None
        readings = [phrase, f"{verb} {phrase}"] if verb else [phrase]
        vectors = self._embed([*readings, *(t.title for t in targets)])
        cosine = (vectors[len(readings) :] @ vectors[: len(readings)].T).max(axis=1)
        scores = [
            float(c) + 0.3 * max(_overlap(r, t.title) for r in readings)
            for c, t in zip(cosine, targets, strict=True)
        ]
        best = int(np.argmax(scores))
        return targets[best] if scores[best] >= MATCH_THRESHOLD else None

    def _about(self, process: Process, message: str) -> bool:
        """Whether a message that asks for nothing still talks about the process."""
        titles = [s.title for s in process.steps] + [
            sub.title for s in process.steps for sub in s.substeps
        ]
        if not titles:
            return False
        if any(_overlap(message, title) >= 0.99 for title in titles):
            return True
        vectors = self._embed([message, *titles])
        return bool((vectors[1:] @ vectors[0]).max() >= RELATED_THRESHOLD)

    def _embed(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, normalise(self.embedder.embed(missing)), strict=True):
                self._vectors[text] = vector
            while len(self._vectors) > 4096:
                self._vectors.popitem(last=False)
        return np.stack([self._vectors[t] for t in texts])


def _pieces(message: str) -> list[str]:
    pieces = [p.strip(" ,.;!?") for p in SPLIT.split(_expand(message.strip()))]
    return [p for p in pieces if p]


def _valid(reply: _LLMOperations, process: Process) -> bool:
    """Every operation names existing ids and carries what it needs."""
    steps = {s.id: {sub.id for sub in s.substeps} for s in process.steps}
    if not reply.is_process_related and reply.operations:
        return False
    for op in reply.operations:
        if op.op == "add_step":
            if not (op.content and op.content.strip()):
                return False
            continue
        if op.step_id not in steps:
            return False
        if op.substep_id is not None and op.substep_id not in steps[op.step_id]:
            return False
        if op.op in ("add_substep", "update_step") and not (op.content and op.content.strip()):
            return False
    return True
