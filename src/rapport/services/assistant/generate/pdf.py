"""Résumé PDFs with fpdf2. A Unicode TrueType font is used when one is found (DejaVu from
the system or matplotlib); without one, text is folded to Latin-1 so no character can make
the core fonts fail."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

from rapport.services.assistant.generate.schemas import Resume

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/Library/Fonts/DejaVuSans.ttf"),
)
FOLD = {
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u2022": "-", "\u00b7": "-",
}  # fmt: skip


@lru_cache(maxsize=1)
def unicode_font() -> Path | None:
    """A DejaVu Sans file on this machine, or None."""
    candidates = list(FONT_CANDIDATES)
    try:  # matplotlib ships DejaVu; it is installed with the bench extra
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf")
    except ImportError:
        pass
    return next((path for path in candidates if path.is_file()), None)


def latin1(text: str) -> str:
    """`text` with every character the core fonts cannot draw replaced (accents kept)."""
    text = "".join(FOLD.get(ch, ch) for ch in text)
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base if base.strip() else "?")
    return "".join(out)


class _Writer:
    def __init__(self, font: Path | None) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(18, 16, 18)
        self.pdf.set_auto_page_break(True, margin=16)
        self.pdf.add_page()
        self.family = "Helvetica"
        self.fold = font is None
        if font is not None:
            self.pdf.add_font("Body", "", str(font))
            bold = font.with_name(font.stem + "-Bold" + font.suffix)
            self.pdf.add_font("Body", "B", str(bold if bold.is_file() else font))
            self.family = "Body"

    def text(self, value: str, size: float = 10, bold: bool = False, gap: float = 1.5) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        shown = latin1(value) if self.fold else value
        self.pdf.multi_cell(0, size * 0.5, shown, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(gap)

    def section(self, title: str, lines: Sequence[str]) -> None:
        if not lines:
            return
        self.pdf.ln(2)
        self.text(title.upper(), 11, bold=True, gap=1)
        for line in lines:
            self.text(line)


def resume_pdf(resume: Resume, *, font: Path | bool | None = True) -> bytes:
    """The résumé as PDF bytes. `font=True` looks for a Unicode font, `False` forces the
    Latin-1 core font, a path uses that TrueType file."""
    chosen = unicode_font() if font is True else (font or None)
    writer = _Writer(chosen if isinstance(chosen, Path) else None)
    writer.text(resume.name, 20, bold=True, gap=1)
    writer.text(resume.headline, 12, gap=3)
    writer.section("Summary", [resume.summary])
    writer.section(
        "Skills",
        [", ".join(f"{s.name} ({s.level})" for s in resume.skills)] if resume.skills else [],
    )
    writer.section(
        "Learning experience",
        [
            f"{e.title}"
            + (f" — {e.completed_at:%B %Y}" if e.completed_at else "")
            + (f"\n{e.description}" if e.description else "")
            for e in resume.experience
        ],
    )
    writer.section("Achievements", [f"• {a}" for a in resume.achievements])
    writer.section("Interests", [", ".join(resume.interests)] if resume.interests else [])
    writer.section("Goals", [f"• {g}" for g in resume.goals])
    writer.pdf.set_title(
        latin1(f"Résumé of {resume.name}") if writer.fold else f"Résumé of {resume.name}"
    )
    return bytes(writer.pdf.output())
