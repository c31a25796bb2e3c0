"""Knowledge base: loading real files, chunking, idempotent storage and chunk vectors,
on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import Document
from rapport.core.store.repository import Store
from rapport.core.vectors.index import make_index
from rapport.services.knowledge import (
    Chunker,
    ChunkingConfig,
    KnowledgeBase,
    load_paths,
)
from rapport.services.knowledge.base import embedding_text
from rapport.services.knowledge.chunking import LEAD_CHARS
from tests.conftest import CountingEmbedder

TOPICS = {
    "pricing": [
        "Coaching sessions cost forty euros per hour for new members.",
        "Members on the yearly plan pay thirty euros per session instead.",
        "Refunds are possible up to a day before a booked session.",
        "Invoices are sent by email at the start of each month.",
    ],
    "sleep": [
        "Good sleep starts with a fixed bedtime, even at weekends.",
        "Screens an hour before bed delay sleep because of their blue light.",
        "A cool, dark bedroom helps the body fall asleep faster.",
        "Caffeine after lunch can keep you awake late into the night.",
    ],
    "guitar": [
        "Practise chord changes slowly before you speed them up.",
        "A metronome keeps your strumming steady and even.",
        "Fingertips hurt for the first weeks until calluses form.",
        "Learning three chords is enough to play hundreds of songs.",
    ],
}


@pytest.fixture
def kb(database_url: str, embedder: CountingEmbedder) -> Iterator[KnowledgeBase]:
    """The knowledge-base service on a real store of each back end."""
    with Store(database_url) as store:
        yield KnowledgeBase(store, embedder, make_index(store, embedder.name))


def paragraph(topic: str, start: int, count: int) -> str:
    """`count` sentences about `topic`, numbered so every sentence is unique."""
    sentences = TOPICS[topic]
    return " ".join(
        f"{sentences[i % len(sentences)][:-1]}, note {i}." for i in range(start, start + count)
    )


def article(topic: str, paragraphs: int, sentences: int = 5) -> str:
    return "\n\n".join(paragraph(topic, p * sentences, sentences) for p in range(paragraphs))


# -- real files ------------------------------------------------------------------------------


def write_pdf(path: Path, pages: list[list[str]], title: str) -> None:
    """A minimal but valid PDF: one Helvetica text line per string, one page per list."""
    font = 3
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in once the page numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for lines in pages:
        escaped = [
            line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines
        ]
        body = "BT /F1 11 Tf 14 TL 72 760 Td " + " ".join(f"({s}) Tj T*" for s in escaped) + " ET"
        stream = body.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, content)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    objects.append(b"<< /Title (%s) >>" % title.encode("latin-1"))
    info = len(objects)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref,
    )
    path.write_bytes(bytes(out))


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Guitar practice memo", level=1)
    document.add_paragraph(TOPICS["guitar"][0] + " " + TOPICS["guitar"][1])
    document.add_paragraph(TOPICS["guitar"][2])
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Week", "Goal"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "Three chords"
    document.save(str(path))


def write_folder(root: Path) -> Path:
    folder = root / "kb"
    (folder / "web").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.txt").write_text("hidden, never read")
    (folder / "pricing.txt").write_text(paragraph("pricing", 0, 4))
    (folder / "sleep.md").write_text("# Sleep well\n\n" + paragraph("sleep", 0, 4) + "\n")
    (folder / "web" / "page.html").write_text(
        "<html><head><title>Pricing page</title><style>p {color: red}</style></head>"
        "<body><script>var secret = 'invisible';</script><nav>Home</nav>"
        f"<h1>Prices</h1><p>{TOPICS['pricing'][0]}<br>{TOPICS['pricing'][1]}</p>"
        f"<p hidden>Hidden text</p><ul><li>{TOPICS['pricing'][2]}</li></ul></body></html>"
    )
    write_pdf(
        folder / "sleep.pdf",
        [
            [TOPICS["sleep"][0], TOPICS["sleep"][1]],
            [TOPICS["sleep"][2], TOPICS["sleep"][3]],
        ],
        title="Sleep guide",
    )
    write_docx(folder / "memo.docx")
    (folder / "notes.jsonl").write_text(
        json.dumps({"id": "faq-1", "title": "Refunds", "text": TOPICS["pricing"][2]})
        + "\n\n"
        + json.dumps({"id": "faq-2", "text": TOPICS["guitar"][3], "metadata": {"lang": "en"}})
        + "\n"
    )
    (folder / "logo.png").write_bytes(b"\x89PNG not a document")
    return folder


def test_every_format_loads_with_its_id_title_and_visible_text(tmp_path: Path) -> None:
    docs = {doc.id: doc for _, doc in load_paths([write_folder(tmp_path)])}
    assert sorted(docs) == [
        "faq-1",
        "faq-2",
        "memo.docx",
        "pricing.txt",
        "sleep.md",
        "sleep.pdf",
        "web/page.html",
    ]
    html = docs["web/page.html"]
    assert html.title == "Pricing page"
    assert TOPICS["pricing"][0] in html.text and TOPICS["pricing"][2] in html.text
    assert "invisible" not in html.text and "color" not in html.text
    assert "Hidden text" not in html.text
    assert f"{TOPICS['pricing'][0]}\n{TOPICS['pricing'][1]}" in html.text  # <br> kept
    assert docs["sleep.md"].title == "Sleep well"
    assert docs["sleep.md"].metadata["format"] == "markdown"
    assert docs["pricing.txt"].title == "pricing"
    pdf = docs["sleep.pdf"]
    assert pdf.title == "Sleep guide"
    assert pdf.metadata["pages"] == 2
    assert all(sentence in pdf.text for sentence in TOPICS["sleep"])
    second_page = pdf.metadata["page_starts"][1]
    assert pdf.text[second_page:].startswith(TOPICS["sleep"][2])
    memo = docs["memo.docx"]
    assert memo.title == "Guitar practice memo"
    assert TOPICS["guitar"][2] in memo.text and "Week | Goal" in memo.text
    assert docs["faq-1"].title == "Refunds"
    assert docs["faq-2"].metadata == {"lang": "en"}
    assert docs["faq-2"].source.endswith("notes.jsonl")
    assert docs["sleep.pdf"].source == str((tmp_path / "kb" / "sleep.pdf").resolve())


def test_loading_errors_name_the_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "kb.jsonl"
    bad.write_text(
        json.dumps({"id": "ok", "text": "fine"})
        + "\n"
        + json.dumps({"title": "no id", "text": "x"})
        + "\n"
        + json.dumps({"id": "typo", "text": "t", "body": "misspelt"})
        + "\n{not json\n"
    )
    with pytest.raises(InvalidInput) as caught:
        load_paths([bad])
    found = {(e.record, e.field) for e in caught.value.errors}
    assert found == {
        ("kb.jsonl:line 2", "id"),
        ("kb.jsonl:line 3", "body"),
        ("kb.jsonl:line 4", "(line)"),
    }
    assert "kb.jsonl:line 2: field 'id'" in str(caught.value)

    blank = tmp_path / "blank.txt"  # named, but a file is read for its text
    blank.write_text(" \n")
    with pytest.raises(InvalidInput, match="no text found") as caught:
        load_paths([blank])
    assert [(e.record, e.field) for e in caught.value.errors] == [(str(blank), "text")]

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a PDF")
    with pytest.raises(InvalidInput) as caught:
        load_paths([broken])
    assert caught.value.errors[0].record == str(broken)

    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG")
    with pytest.raises(InvalidInput, match=r"photo\.png"):
        load_paths([picture])
    with pytest.raises(FileNotFoundError, match="missing"):
        load_paths([tmp_path / "missing"])


def test_chunks_fit_overlap_and_keep_sentences_whole() -> None:
    chunker = Chunker()
    text = paragraph("sleep", 0, 60)  # one long paragraph: overlap comes from sentences
    document = Document(id="long", title="Long", text=text)
    chunks = chunker.split(document)
    assert len(chunks) >= 4
    assert [c.id for c in chunks] == [f"long#{n}" for n in range(len(chunks))]
    for before, after in itertools.pairwise(chunks):
        overlap = before.metadata["end"] - after.metadata["start"]
        assert 0 < overlap <= 200
        assert after.text.startswith(before.text[-overlap:])
    for chunk in chunks:
        start, end = chunk.metadata["start"], chunk.metadata["end"]
        assert len(chunk.text) <= 1000 and document.text[start:end] == chunk.text
        assert chunk.text.endswith(".")  # never cut inside a sentence
        assert start == 0 or text[start - 2 : start] == ". "

    # Paragraphs shorter than a chunk each end up whole in some chunk.
    text = article("pricing", 8, sentences=5)
    chunks = chunker.split(Document(id="doc", text=text))
    assert all(len(c.text) <= 1000 for c in chunks)
    for block in text.split("\n\n"):
        assert any(block in c.text for c in chunks)

    small = Chunker(ChunkingConfig(size=300, overlap=50)).split(document)
    assert all(len(c.text) <= 300 for c in small) and len(small) > len(chunks)
    with pytest.raises(ValidationError, match="overlap"):
        ChunkingConfig(size=100, overlap=100)
    with pytest.raises(ValidationError, match="sise"):
        ChunkingConfig(sise=100)  # type: ignore[call-arg]


def test_later_chunks_of_an_untitled_document_carry_its_opening() -> None:
    chunker = Chunker()
    opening = "Why my sourdough starter died over the holidays."
    text = f"{opening} {paragraph('sleep', 0, 60)}"
    chunks = chunker.split(Document(id="post", text=text))
    assert len(chunks) >= 3 and "lead" not in chunks[0].metadata
    leads = {c.metadata["lead"] for c in chunks[1:]}
    (lead,) = leads  # the same opening on every later chunk
    assert lead.startswith(opening) and len(lead) <= LEAD_CHARS and lead.endswith(".")
    assert embedding_text(chunks[0]) == chunks[0].text
    assert embedding_text(chunks[2]) == f"{lead}\n\n{chunks[2].text}"
    # A title is the context when there is one; a short document has no later chunks.
    titled = chunker.split(Document(id="post", title="Sourdough", text=text))
    assert all("lead" not in c.metadata for c in titled)
    assert embedding_text(titled[2]).startswith("Sourdough\n\n")
    (short,) = chunker.split(Document(id="note", text=opening))
    assert "lead" not in short.metadata
    (tag,) = chunker.split(Document(id="tag", title="Sourdough starters"))
    assert embedding_text(tag) == tag.text == "Sourdough starters"  # said once, not twice
    assert "start" not in tag.metadata  # no offsets into a text there is none of


def test_pdf_chunks_know_their_page(tmp_path: Path) -> None:
    lines = [paragraph("sleep", n, 1) for n in range(40)]
    write_pdf(tmp_path / "book.pdf", [lines[:20], lines[20:]], title="Book")
    [(_, document)] = load_paths([tmp_path / "book.pdf"])
    chunks = Chunker().split(document)
    assert chunks[0].metadata["page"] == 1 and chunks[-1].metadata["page"] == 2
    # Printed lines were joined: chunks break at sentences, not at line ends.
    assert all(c.text.endswith(".") for c in chunks)


def test_add_folder_keeps_ids_and_readding_unchanged_does_nothing(
    kb: KnowledgeBase, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path)
    ticks: list[int] = []
    report = kb.add_paths("default", [folder], progress=ticks.append)
    assert report.added == 7 and report.updated == report.unchanged == 0
    assert report.chunks == 7 and sum(ticks) == 7
    page = kb.list("default")
    assert page.total == 7
    assert {d.id for d in page.items} == {
        "faq-1",
        "faq-2",
        "memo.docx",
        "pricing.txt",
        "sleep.md",
        "sleep.pdf",
        "web/page.html",
    }
    assert all(d.chunks == 1 for d in page.items)
    ids, matrix = kb.chunk_vectors("default")
    assert len(ids) == 7 and matrix.shape == (7, 384)
    assert kb.get("default", "sleep.md").title == "Sleep well"

    calls, state = list(embedder.calls), kb.documents.chunk_state("default")
    again = kb.add_paths("default", [folder])
    assert again.model_dump() == {
        "added": 0,
        "updated": 0,
        "unchanged": 7,
        "chunks": 0,
        "embedded": 0,
        "retrieval": None,
    }
    assert embedder.calls == calls
    assert kb.documents.chunk_state("default") == state


def test_changed_document_is_rechunked_and_old_chunks_go(
    kb: KnowledgeBase, embedder: CountingEmbedder
) -> None:
    text = article("sleep", 8)
    first = kb.add_records("default", [{"id": "guide", "title": "Sleep", "text": text}])
    assert first.added == 1 and first.chunks >= 3
    old_ids = [f"guide#{n}" for n in range(first.chunks)]
    state = kb.documents.chunk_state("default")

    # Changing the last paragraph re-embeds only the chunks whose text changed.
    edited = text.rsplit("\n\n", 1)[0] + "\n\n" + paragraph("guitar", 0, 5)
    report = kb.add_records("default", [{"id": "guide", "title": "Sleep", "text": edited}])
    assert report.updated == 1 and report.added == 0
    assert 0 < report.embedded < report.chunks
    assert kb.documents.chunk_state("default") != state

    # Shrinking it drops the chunks and vectors that no longer exist.
    short = kb.add_records("default", [{"id": "guide", "title": "Sleep", "text": "Sleep more."}])
    assert short.updated == 1 and short.chunks == 1
    chunks = kb.documents.get_chunks("default", old_ids)
    assert [c.id for c in chunks] == ["guide#0"] and chunks[0].text == "Sleep more."
    ids, _ = kb.chunk_vectors("default")
    assert ids == ["guide#0"]
    assert kb.list("default").items[0].chunks == 1
    assert kb.dense_search("default", "sleep", k=5)[0].chunk.text == "Sleep more."


def test_other_chunking_settings_rechunk_unchanged_documents(
    kb: KnowledgeBase, embedder: CountingEmbedder
) -> None:
    record = {"id": "guide", "text": article("sleep", 8)}
    first = kb.add_records("default", [record])
    assert first.added == 1 and first.chunks >= 3
    smaller = KnowledgeBase(kb.store, embedder, kb.index, ChunkingConfig(size=500, overlap=100))
    again = smaller.add_records("default", [record])
    assert again.updated == 1 and again.chunks > first.chunks
    assert all(len(c.text) <= 500 for c in smaller.documents.get_chunks("default", [
        f"guide#{n}" for n in range(again.chunks)
    ]))  # fmt: skip
    assert smaller.add_records("default", [record]).unchanged == 1
    back = kb.add_records("default", [record])  # the first settings again: cut again
    assert back.updated == 1 and back.chunks == first.chunks


def test_remove_deletes_document_chunks_and_vectors(kb: KnowledgeBase) -> None:
    kb.add_records(
        "default",
        [
            {"id": "sleep", "text": article("sleep", 6)},
            {"id": "guitar", "text": article("guitar", 2)},
        ],
    )
    assert kb.dense_search("default", "how to fall asleep", k=1)[0].chunk.document_id == "sleep"
    count = kb.list("default").items[1].chunks
    removed = kb.remove("default", "sleep")
    assert removed.deleted == {"documents": 1, "chunks": count, "vectors": count}
    assert kb.documents.get_chunks("default", [f"sleep#{n}" for n in range(count)]) == []
    ids, _ = kb.chunk_vectors("default")
    assert ids == [f"guitar#{n}" for n in range(len(ids))]
    hits = kb.dense_search("default", "how to fall asleep", k=5)
    assert {hit.chunk.document_id for hit in hits} == {"guitar"}
    with pytest.raises(NotFound):
        kb.get("default", "sleep")
    with pytest.raises(NotFound):
        kb.remove("default", "sleep")


def test_tenants_are_isolated(kb: KnowledgeBase) -> None:
    kb.add_records("alice", [{"id": "tips", "title": "Sleep", "text": paragraph("sleep", 0, 4)}])
    kb.add_records("bob", [{"id": "tips", "title": "Guitar", "text": paragraph("guitar", 0, 4)}])
    assert kb.get("alice", "tips").title == "Sleep" and kb.get("bob", "tips").title == "Guitar"
    assert kb.list("alice").total == kb.list("bob").total == 1
    hits = kb.dense_search("bob", "bedtime and blue light", k=5)
    assert [h.chunk.text for h in hits] == [paragraph("guitar", 0, 4)]
    kb.remove("alice", "tips")
    assert kb.list("alice").total == 0 and kb.chunk_vectors("alice")[0] == []
    assert kb.chunk_vectors("bob")[0] == ["tips#0"]
    with pytest.raises(NotFound):
        kb.get("carol", "tips")


def test_bad_input_writes_nothing(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"id": "good", "text": "Fine."}) + "\n" + json.dumps({"id": "x", "txt": "y"})
    )
    with pytest.raises(InvalidInput) as caught:
        kb.add_paths("default", [bad])
    assert {(e.record, e.field) for e in caught.value.errors} == {("bad.jsonl:line 2", "txt")}
    with pytest.raises(InvalidInput) as caught:
        kb.add_records(
            "default",
            [{"id": "a", "text": "One."}, {"id": "a", "text": "Two."}, {"id": "b", "text": " "}],
        )
    assert [(e.record, e.field) for e in caught.value.errors] == [
        ("record 1", "id"),
        ("record 2", "text"),
    ]
    assert kb.list("default").total == 0

    # A title alone (a tag, a product name) is a document: its one chunk.
    kb.add_records("default", [{"id": "tag", "title": "Sleep hygiene"}])
    (chunk,) = kb.documents.get_chunks("default", ["tag#0"])
    assert chunk.text == "Sleep hygiene" and chunk.metadata["title"] == "Sleep hygiene"


def test_listing_pages_and_dense_search(kb: KnowledgeBase) -> None:
    kb.add_records(
        "default",
        [
            {"id": topic, "title": topic.title(), "text": article(topic, 3)}
            for topic in sorted(TOPICS)
        ],
    )
    first = kb.list("default", limit=2)
    second = kb.list("default", limit=2, offset=2)
    assert first.total == second.total == 3
    assert [d.id for d in first.items + second.items] == ["guitar", "pricing", "sleep"]
    assert all(d.chunks >= 1 and d.characters > 0 for d in first.items)
    for query, expected in [
        ("how much does a coaching session cost", "pricing"),
        ("I cannot fall asleep at night", "sleep"),
        ("learning chords on the guitar", "guitar"),
    ]:
        hits = kb.dense_search("default", query, k=3)
        assert hits[0].chunk.document_id == expected
        assert hits[0].score >= hits[-1].score
