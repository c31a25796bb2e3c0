"""Reading knowledge-base documents from files, folders and JSON records.

Every loader returns `(label, Document)` pairs; the label names where the document came
from (`guide.pdf`, `notes.jsonl:line 3`, `record 2`) so later errors can point at it.
Problems are collected and raised together as one `InvalidInput`, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.models import Document
from rapport.services.ingest import RawRecord, body_records, file_records, validate

Labelled = tuple[str, Document]

FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".jsonl": "jsonl",
}

# Elements whose content is never shown to a reader.
_HIDDEN_TAGS = ["script", "style", "noscript", "template", "head", "svg", "canvas", "iframe"]
# Elements that start a new paragraph, so their text is not glued to their neighbours'.
_BLOCK_TAGS = [
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "tr", "td", "th", "ul",
]  # fmt: skip
_HEADING_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class SourceFile:
    """A file to read, and the document id it gets when it holds a single document."""

    path: Path
    document_id: str
    format: str


def discover(paths: Sequence[Path | str]) -> list[SourceFile]:
    """Supported files under `paths`, folders walked recursively (hidden entries skipped).

    A file's document id is its path relative to the folder that was given, or its name
    when the file itself was given. Unsupported files inside folders are skipped; an
    unsupported file given by name is an error.
    """
    found: list[SourceFile] = []
    errors: list[FieldError] = []
    for given in map(Path, paths):
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                relative = path.relative_to(given)
                if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                    continue
                kind = FORMATS.get(path.suffix.lower())
                if kind:
                    found.append(SourceFile(path, relative.as_posix(), kind))
        elif given.is_file():
            kind = FORMATS.get(given.suffix.lower())
            if kind:
                found.append(SourceFile(given, given.name, kind))
            else:
                supported = ", ".join(sorted(FORMATS))
                errors.append(
                    FieldError(
                        record=str(given),
                        field="(file)",
                        message=f"unsupported file type; use {supported}",
                    )
                )
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")
    if errors:
        raise InvalidInput(errors)
    return found


def load_paths(paths: Sequence[Path | str]) -> list[Labelled]:
    """Every document in the files and folders given; raises `InvalidInput` listing every
    unreadable file or invalid record."""
    documents: list[Labelled] = []
    errors: list[FieldError] = []
    for source in discover(paths):
        if source.format == "jsonl":
            found, problems = _jsonl_documents(source.path)
            documents.extend(found)
            errors.extend(problems)
            continue
        label = str(source.path)
        try:
            title, text, extra = _READERS[source.format](source.path)
        except UnicodeDecodeError as exc:
            errors.append(
                FieldError(record=label, field="(file)", message=f"not UTF-8 text: {exc.reason}")
            )
            continue
        except Exception as exc:  # parsers raise many types; each names a broken file
            errors.append(
                FieldError(
                    record=label, field="(file)", message=f"unreadable {source.format}: {exc}"
                )
            )
            continue
        if not text.strip():  # a file's name is its title, but a file is read for its text
            hint = " (a scanned PDF needs OCR first)" if source.format == "pdf" else ""
            errors.append(FieldError(record=label, field="text", message="no text found" + hint))
            continue
        # Text layers of PDFs and office files can hold NUL bytes: noise, and refused by
        # the models (PostgreSQL cannot store them).
        raw = {
            "id": source.document_id,
            "title": (title or source.path.stem).replace("\x00", ""),
            "text": text.replace("\x00", ""),
            "source": str(source.path.resolve()),
            "metadata": {"format": source.format, "path": source.document_id, **extra},
        }
        found, problems = _validated([(label, raw)])
        documents.extend(found)
        errors.extend(problems)
    if errors:
        raise InvalidInput(errors)
    return documents


def record_documents(records: Iterable[dict[str, Any] | Document]) -> list[Labelled]:
    """Documents from JSON records `{"id", "title", "text", "source", "metadata"}`."""
    rows = [r.model_dump() if isinstance(r, Document) else r for r in records]
    documents, errors = _validated(body_records(rows))
    if errors:
        raise InvalidInput(errors)
    return documents


def _validated(records: Iterable[RawRecord]) -> tuple[list[Labelled], list[FieldError]]:
    documents: list[Labelled] = []
    errors: list[FieldError] = []
    for label, raw in records:
        try:
            valid, _ = validate(Document, [(label, raw)])
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        documents.append((label, valid[0]))
    return documents, errors


def _jsonl_documents(path: Path) -> tuple[list[Labelled], list[FieldError]]:
    source = str(path.resolve())
    records: list[RawRecord] = []
    for label, raw in file_records(path):
        # Records name their own source; otherwise the file they came from is it.
        if isinstance(raw, dict) and "source" not in raw:
            raw = {**raw, "source": source}
        records.append((label, raw))
    return _validated(records)


# -- one reader per format: path -> (title, text, extra metadata) -----------------------

Read = tuple[str, str, dict[str, Any]]


def _read_text(path: Path) -> Read:
    return "", _normalise_newlines(path.read_text(encoding="utf-8-sig")), {}


def _read_markdown(path: Path) -> Read:
    text = _normalise_newlines(path.read_text(encoding="utf-8-sig"))
    heading = _MD_HEADING.search(text)
    return (heading.group(1) if heading else ""), text, {}


def _read_html(path: Path) -> Read:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_HIDDEN_TAGS):
        tag.decompose()
    for tag in soup.find_all(hidden=True):
        tag.decompose()
    if not title:
        heading = soup.find(_HEADING_TAGS)
        title = heading.get_text(" ", strip=True) if heading else ""
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    return title, _paragraphs(soup.get_text()), {}


def _read_pdf(path: Path) -> Read:
    from pypdf import PdfReader

    reader = PdfReader(path)
    title = ""
    if reader.metadata and reader.metadata.title:
        title = str(reader.metadata.title).strip()
    pages: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in reader.pages:
        text = _reflow(page.extract_text() or "")
        starts.append(offset)
        pages.append(text)
        offset += len(text) + 2  # the "\n\n" joining pages
    # Leading whitespace is stripped on validation: shift the offsets with it.
    joined = "\n\n".join(pages)
    lead = len(joined) - len(joined.lstrip())
    starts = [max(0, start - lead) for start in starts]
    return title, joined, {"pages": len(pages), "page_starts": starts}


def _read_docx(path: Path) -> Read:
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    title = (document.core_properties.title or "").strip()
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                # Merged cells repeat their text once per spanned column.
                line = " | ".join(dict.fromkeys(c for c in cells if c))
                if line:
                    blocks.append(line)
            continue
        text = block.text.strip()
        if not text:
            continue
        style = block.style.name if block.style is not None else ""
        if not title and (style == "Title" or style.startswith("Heading")):
            title = text
        blocks.append(text)
    return title, "\n\n".join(blocks), {}


_READERS = {
    "text": _read_text,
    "markdown": _read_markdown,
    "html": _read_html,
    "pdf": _read_pdf,
    "docx": _read_docx,
}


# -- text clean-up --------------------------------------------------------------------------


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _paragraphs(text: str) -> str:
    """Collapse whitespace inside lines and keep one blank line between paragraphs."""
    result: list[str] = []
    for block in re.split(r"\n\s*\n", _normalise_newlines(text)):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            result.append(paragraph)
    return "\n\n".join(result)


def _reflow(text: str) -> str:
    """Join a PDF page's hard-wrapped lines into paragraphs, so chunks break at sentences
    rather than at the ends of printed lines; blank lines stay paragraph breaks."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", _normalise_newlines(text)):
        joined = ""
        for line in (part.strip() for part in block.split("\n")):
            if not line:
                continue
            # A line ending in a hyphen continues the same word on the next line.
            glue = "" if not joined or joined.endswith("-") else " "
            joined += glue + line
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)
