"""A decision letter (domain/letters.Letter) as PDF, with fpdf2 (pure Python, from PyPI).

Deterministic: the document's dates are the letter's own (the besluit's date), its file identifier is
derived from its content by fpdf2, and nothing reads a clock or a random source; so the same letter gives
the same bytes, and a reprint the same sha256 (as long as fpdf2's version is the pinned one: its name is
in the document's Producer).

The PDF core fonts (Helvetica) in the Windows-1252 encoding carry the euro sign, the Dutch diacritics
(ë, é, ï) and the typographic dashes and quotes; no font file is embedded, none is read from the system.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from fpdf import FPDF

from domain.letters import Letter

ENCODING = "windows-1252"
FONT = "Helvetica"


def _safe(text: str) -> str:
    """Text the core fonts can show: a character outside Windows-1252 becomes '?' (none of ours is)."""
    return text.encode(ENCODING, errors="replace").decode(ENCODING)


class _LetterPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-18)
        self.set_font(FONT, size=7)
        self.set_text_color(90, 90, 90)
        self.multi_cell(0, 3.5, _safe(self.footer_text), new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, f"Pagina {self.page_no()} van {{nb}}", align="R")


def render(letter: Letter) -> bytes:
    pdf = _LetterPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = ENCODING
    pdf.footer_text = f"{letter.footer} Kenmerk {letter.reference.split(':')[-1].strip()}; sjabloon {letter.template} v{letter.template_version}."
    moment = dt.datetime.combine(letter.dated, dt.time(12, 0), tzinfo=dt.timezone.utc)
    pdf.set_creation_date(moment)
    pdf.set_title(_safe(letter.subject))
    pdf.set_author("Dienst Uitvoering Subsidies aan Instellingen (DUS-I)")
    pdf.set_subject(_safe(f"{letter.region_code} besluit {letter.besluit} ({letter.kind})"))
    pdf.set_creator("STO-subsidiemotor")
    pdf.set_lang("nl-NL")
    pdf.set_margins(25, 20, 20)
    pdf.set_auto_page_break(True, margin=25)
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def lines(texts: list[str], size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font(FONT, style=style, size=size)
        for text in texts:
            pdf.multi_cell(width, height, _safe(text), new_x="LMARGIN", new_y="NEXT")

    def gap(mm: float = 4) -> None:
        pdf.ln(mm)

    pdf.set_text_color(21, 66, 115)  # Rijksoverheid-like donkerblauw for the sender block
    lines(letter.sender[:1], size=11, style="B")
    lines(letter.sender[1:], size=8, height=4)
    pdf.set_text_color(0, 0, 0)
    gap(8)
    lines(letter.addressee)
    gap(6)
    lines([letter.date_line, letter.reference], size=9)
    gap(5)
    lines([letter.subject], size=11, style="B", height=5.5)
    gap(4)
    lines([letter.salutation])
    gap(2)
    for paragraph in letter.body:
        lines([paragraph])
        gap(2)
    if letter.amounts:
        gap(2)
        lines([letter.amounts_title], style="B")
        pdf.set_font(FONT, size=10)
        for label, amount in letter.amounts:
            bold = label.lower().startswith(("totaal", "terugvordering", "vastgesteld"))
            pdf.set_font(FONT, style="B" if bold else "", size=10)
            pdf.cell(60, 5.5, _safe(label), border="B")
            pdf.cell(45, 5.5, _safe(amount), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
        gap(3)
    gap(2)
    lines([letter.basis_title], style="B")
    lines(letter.basis, size=9, height=4.5)
    gap(4)
    lines([letter.objection_title], style="B")
    for paragraph in letter.objection:
        lines([paragraph], size=10 if not paragraph.startswith("Bron:") else 8)
        gap(1.5)
    gap(4)
    lines(letter.closing)
    return bytes(pdf.output())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
