"""Splitting documents into overlapping chunks along paragraphs, sentences and words."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, model_validator
from semantic_text_splitter import MarkdownSplitter, TextSplitter

from rapport.core.components import ComponentConfig
from rapport.core.models import Chunk, Document

LEAD_CHARS = 200
"""Longest lead of an untitled document: about a title's length."""
CHUNKER_VERSION = "2"
"""Bumped whenever the same settings start to cut or label chunks differently (2: leads of
untitled documents), so stored documents are cut again when they are added again."""


class ChunkingConfig(ComponentConfig):
    """How documents are cut into chunks (seed 001: 1000 characters, 200 of overlap); the
    `[chunking]` settings section."""

    size: int = Field(default=1000, gt=0)
    """Largest chunk, in characters."""
    overlap: int = Field(default=200, ge=0)
    """Most characters a chunk repeats from the end of the previous one. The splitter only
    overlaps whole units (sentences, words) that fit, so at a paragraph break it can be less."""
    markdown: bool = True
    """Split Markdown documents on headings, lists and code blocks before paragraphs."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingConfig:
        if self.overlap >= self.size:
            raise ValueError("overlap must be smaller than size")
        return self


class Chunker:
    """Cuts documents into `Chunk`s with ids `<document id>#<n>`.

    Each chunk records where it starts and ends in the document text (`start`, `end`, in
    characters), so `document.text[start:end] == chunk.text` and answers can quote spans.
    """

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        self.config = config or ChunkingConfig()

    @cached_property
    def signature(self) -> str:
        """How this chunker cuts: a document stored under another signature is cut again
        when it is added again, even unchanged."""
        return f"{CHUNKER_VERSION} {self.config.model_dump_json()}"

    @cached_property
    def _text(self) -> TextSplitter:
        return TextSplitter(self.config.size, overlap=self.config.overlap)

    @cached_property
    def _markdown(self) -> MarkdownSplitter:
        return MarkdownSplitter(self.config.size, overlap=self.config.overlap)

    @cached_property
    def _lead(self) -> TextSplitter:
        return TextSplitter(LEAD_CHARS)

    def lead(self, text: str) -> str:
        """The opening of `text` up to `LEAD_CHARS`, cut at the largest unit that fits
        (sentences, else words)."""
        parts = self._lead.chunks(text[: 4 * LEAD_CHARS])
        return parts[0] if parts else ""

    def spans(self, text: str, *, markdown: bool = False) -> list[tuple[int, str]]:
        """`(character offset, chunk text)` pairs, trimmed of surrounding whitespace."""
        splitter = self._markdown if markdown and self.config.markdown else self._text
        return [(start, part) for start, part in splitter.chunk_indices(text) if part.strip()]

    def split(self, document: Document) -> list[Chunk]:
        markdown = document.metadata.get("format") == "markdown"
        pages = document.metadata.get("page_starts")
        if not document.text.strip():
            # A title alone is the whole document: it is the one chunk, with no offsets
            # into a text there is none of.
            whole = Chunk(
                id=f"{document.id}#0",
                document_id=document.id,
                position=0,
                text=document.title,
                metadata={"title": document.title},
            )
            return [whole]
        spans = self.spans(document.text, markdown=markdown)
        # A passage from the middle of an untitled text says little of what the whole is
        # about: its later chunks carry the document's opening as a stand-in title.
        lead = self.lead(document.text) if len(spans) > 1 and not document.title else ""
        result = []
        for position, (start, text) in enumerate(spans):
            metadata: dict[str, object] = {
                "start": start,
                "end": start + len(text),
                "title": document.title,
            }
            if lead and position:
                metadata["lead"] = lead
            if isinstance(pages, list) and pages:
                metadata["page"] = _page_of(pages, start)
            result.append(
                Chunk(
                    id=f"{document.id}#{position}",
                    document_id=document.id,
                    position=position,
                    text=text,
                    metadata=metadata,
                )
            )
        return result


def _page_of(page_starts: list[int], offset: int) -> int:
    """1-based page holding `offset`, given each page's start offset in the text."""
    page = 1
    for number, start in enumerate(page_starts, start=1):
        if start > offset:
            break
        page = number
    return page
