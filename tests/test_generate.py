"""Content generation without a language model: templates, schemas, limits and the log."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pypdf import PdfReader

from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from rapport.engine.schemas import DraftRequest
from tests.generate_data import ITEMS, load


@pytest.fixture(scope="module")
def gen(
    tmp_path_factory: pytest.TempPathFactory, minilm: SentenceTransformerEmbedder
) -> Iterator[Engine]:
    """One catalogue for the tests that only read it (they write only the log)."""
    with Engine(data=tmp_path_factory.mktemp("generate"), embedder=minilm) as engine:
        load(engine)
        yield engine


@pytest.fixture
def own(sqlite_engine: Engine) -> Engine:
    """A catalogue of its own, for tests that change it."""
    load(sqlite_engine)
    return sqlite_engine


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_resume_from_profile_and_history(gen: Engine) -> None:
    resume = gen.generate.resume("ana")
    assert resume.mode == "template" and resume.model == ""
    # Completed and bought items, newest first; a view is not a completion.
    assert [e.item_id for e in resume.experience] == ["py2", "py1"]
    assert resume.experience[0].title == "Data Analysis with Pandas"
    assert resume.achievements == ["Hackathon winner 2025", "Grade 3 guitar"]
    assert resume.name == "Zoë Łukasz 王小明"
    assert "Data Analysis with Pandas" in resume.summary and "guitar" in resume.summary
    logged = gen.generate.recent(kind="resume")
    assert logged[0].id == resume.generation_id and logged[0].user_id == "ana"
    assert logged[0].output["experience"][0]["item_id"] == "py2"


def test_resume_pdf_never_fails_on_non_latin_text(gen: Engine) -> None:
    from rapport.services.assistant.generate.pdf import resume_pdf, unicode_font

    resume = gen.generate.resume("ana")
    resume.summary += " Emoji 🎸 and ✓ marks — “quoted”."
    unicode_pdf = gen.generate.resume_pdf(resume)
    assert unicode_pdf.startswith(b"%PDF")
    text = pdf_text(unicode_pdf)
    assert "Python for Beginners" in text and "Hackathon winner 2025" in text
    if unicode_font() is not None:
        assert "Łukasz" in text
    core = resume_pdf(resume, font=False)  # the Latin-1 core font: characters are folded
    folded = pdf_text(core)
    assert "Zoë" in folded and "Python for Beginners" in folded


@pytest.mark.parametrize(
    ("platform", "limit"), [("x", 280), ("linkedin", 3000), ("instagram", 2200)]
)
def test_posts_fit_the_platform_with_one_to_five_hashtags(
    gen: Engine, platform: str, limit: int
) -> None:
    long = "completed the " + "very " * 90 + "long Data Analysis with Pandas course"
    for achievement in ("won the Data Analysis with Pandas prize", long[:500]):
        post = gen.generate.post("ana", platform=platform, achievement=achievement)
        assert post.limit == limit and post.characters == len(post.text) <= limit
        assert 1 <= len(post.hashtags) <= 5
        assert all(t.startswith("#") and " " not in t for t in post.hashtags)
        assert post.text.endswith(" ".join(post.hashtags))
        assert post.text.count("#") == len(post.hashtags)
        assert "Pandas" in post.text


def test_learning_path_orders_levels_and_estimates_weeks(gen: Engine) -> None:
    path = gen.generate.learning_path("ana", passion="learn to play the guitar")
    ids = [s.item_id for s in path.steps]
    assert set(ids) == {"g1", "g2", "g3", "g4"}  # nothing about cooking, yoga or python
    order = ["beginner", "intermediate", "advanced", "expert"]
    levels = [order.index(s.level) for s in path.steps]
    assert levels == sorted(levels) and ids[0] == "g1" and ids[-2:] in (["g3", "g4"], ["g4", "g3"])
    by_id = {s.item_id: s for s in path.steps}
    assert by_id["g2"].level == "intermediate" and by_id["g2"].level_source == "attribute"
    assert by_id["g4"].level == "advanced" and by_id["g4"].level_source == "text"
    assert by_id["g2"].hours == 15  # 3 weeks at the default 5 hours of the course
    assert by_id["g3"].weeks == 6  # 24 hours at the user's 4 hours a week
    assert path.hours_per_week == 4 and path.estimated_weeks == round(path.total_hours / 4, 1)
    assert [s.position for s in path.steps] == [1, 2, 3, 4]


def test_learning_path_skips_completed_items(gen: Engine) -> None:
    path = gen.generate.learning_path("ana", passion="python programming and data analysis")
    assert not {"py1", "py2"} & {s.item_id for s in path.steps}


def test_tags_come_from_the_vocabulary_and_key_phrases(gen: Engine) -> None:
    vocabulary = {label for item in ITEMS for label in item["tags"] + item["categories"]}
    result = gen.generate.tags(text="Weekend workshop on analysing data with Python and pandas")
    assert 3 <= len(result.tags) <= 5
    assert result.tags[0] == "python" and "data science" in result.tags
    assert set(result.tags) <= vocabulary | set(result.key_phrases)
    assert "pandas" in result.key_phrases and len(result.key_phrases) <= 5
    unrelated = gen.generate.tags(text="My first marathon: months of training runs by the river")
    assert "python" not in unrelated.tags and len(unrelated.tags) >= 3


def test_imported_posts_without_tags_get_tags(own: Engine) -> None:
    gen = own
    gen.items.add(
        [
            {"id": "p1", "kind": "post", "text": "Learned three new jazz chords on my guitar."},
            {"id": "p2", "kind": "post", "text": "Python tips", "tags": ["mine"]},
        ]
    )
    done = gen.generate.tag_posts()
    assert (done.checked, done.tagged, done.item_ids) == (1, 1, ["p1"])
    tagged = gen.items.get("p1")
    assert "guitar" in tagged.tags and tagged.attributes["auto_tags"] == tagged.tags
    assert gen.items.get("p2").tags == ["mine"]  # tagged by its author: untouched
    assert gen.generate.tag_posts().checked == 0  # marked, never read again
    assert gen.items.similar("p1", k=1)[0].item_id.startswith("g")  # re-embedded


def test_draft_computes_price_and_window(own: Engine) -> None:
    gen = own
    offer = gen.generate.draft(category="spa", place="Lisbon", price=50, discount=20)
    assert offer.reduced_price == 40.0 and offer.original_price == 50.0
    assert offer.ends_at - offer.starts_at == timedelta(days=7)
    assert "spa" in offer.title and "Lisbon" in offer.title and "40" in offer.description
    assert offer.item.price == 40.0 and offer.item.original_price == 50.0
    assert offer.item.kind == "offer" and offer.item.categories == ["spa"]
    event = gen.generate.draft(
        category="jazz concert", place="Hot Clube", price=19.99, discount=15, kind="event",
        starts_at="2026-12-05T21:00:00Z",
    )  # fmt: skip
    assert event.reduced_price == 16.99 and event.ends_at - event.starts_at == timedelta(hours=3)
    assert event.starts_at.isoformat().startswith("2026-12-05T21:00")
    gen.items.add([event.item])  # the draft is a valid item
    assert gen.items.get(event.item.id).title == event.title
    with pytest.raises(ValueError, match="ends_at"):
        DraftRequest(category="x", place="y", price=1, starts_at="2026-01-02", ends_at="2026-01-01")
    with pytest.raises(ValueError, match="discount"):
        DraftRequest(category="x", place="y", price=1, discount=150)


def test_generation_log_on_both_back_ends(engine: Engine) -> None:
    engine.users.add([{"id": "ana"}])
    first = engine.generate.draft(category="pizza", place="Porto", price=12, discount=50)
    second = engine.generate.resume("ana")
    kinds = [(g.kind, g.mode) for g in engine.generate.recent()]
    assert kinds == [("resume", "template"), ("draft", "template")]
    drafts = engine.generate.recent(kind="draft")
    assert [g.id for g in drafts] == [first.generation_id]
    assert drafts[0].request["price"] == 12 and drafts[0].output["reduced_price"] == 6
    assert [g.id for g in engine.generate.recent(user_id="ana")] == [second.generation_id]
