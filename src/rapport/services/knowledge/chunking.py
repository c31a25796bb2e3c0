"""Splitting documents into overlapping chunks along paragraphs, sentences and words."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, model_validator
from semantic_text_splitter import MarkdownSplitter, TextSplitter

from rapport.core.components import ComponentConfig
from rapport.core.models import Chunk, Document


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
    def _text(self) -> TextSplitter:
        return TextSplitter(self.config.size, overlap=self.config.overlap)

    @cached_property
    def _markdown(self) -> MarkdownSplitter:
        return MarkdownSplitter(self.config.size, overlap=self.config.overlap)

    def spans(self, text: str, *, markdown: bool = False) -> list[tuple[int, str]]:
        """`(character offset, chunk text)` pairs, trimmed of surrounding whitespace."""
        splitter = self._markdown if markdown and self.config.markdown else self._text
        return [(start, part) for start, part in splitter.chunk_indices(text) if part.strip()]

    def split(self, document: Document) -> list[Chunk]:
        markdown = document.metadata.get("format") == "markdown"
        pages = document.metadata.get("page_starts")
        result = []
        for position, (start, text) in enumerate(self.spans(document.text, markdown=markdown)):
            metadata: dict[str, object] = {
                "start": start,
                "end": start + len(text),
                "title": document.title,
            }
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
