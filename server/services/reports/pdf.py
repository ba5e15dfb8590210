"""PDF documents with Chinese text: fpdf2 with a CJK font embedded (subset).

fpdf2 is pure Python and embeds only the glyphs a document uses, so a badge sheet with a
few dozen names stays small. The font is a system font (Debian's fonts-wqy-microhei or
fonts-noto-cjk, see scripts/packages/run-admin.txt) or the one `SHOPFLOOR_PDF_FONT` names
(`Config.pdf_font`, which the caller passes in as `font`).
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from server.services import ServiceError

FONT_FAMILY = "cjk"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def cjk_font(named: str | Path | None = None) -> Path:
    """The font `named` (the configured one) if it is a file, else a system CJK font."""
    for candidate in ([named] if named else []) + list(FONT_CANDIDATES):
        path = Path(candidate)
        if path.is_file():
            return path
    raise ServiceError("no Chinese font for PDF files: install the Debian package "
                       "fonts-wqy-microhei or set SHOPFLOOR_PDF_FONT to a .ttf/.ttc file")


def new_document(orientation: str = "portrait", *, font: str | Path | None = None) -> FPDF:
    """An A4 document in the configured CJK font `font` (or a system one)."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    path = cjk_font(font)
    if path.suffix.lower() == ".ttc":
        pdf.add_font(FONT_FAMILY, fname=str(path), collection_font_number=0)
    else:
        pdf.add_font(FONT_FAMILY, fname=str(path))
    pdf.set_font(FONT_FAMILY, size=10)
    return pdf


def output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
